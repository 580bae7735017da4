package frankieone_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/auditkeep/auditkeep/internal/apitest"
)

// TestWalk pages through 1,000 events of a customer and its children in
// both orders: every event appears exactly once, in timestamp order with
// ties broken by id, and every page's meta is right.
func TestWalk(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, [][2]string{{"cust-c", ""}, {"cust-c1", "cust-c"}, {"cust-c2", "cust-c"}, {"cust-d", ""}})
		const n, limit = 1000, 33
		base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		type stored struct {
			at time.Time
			id int64
		}
		byUUID := map[string]stored{}
		tenants := []string{"cust-c", "cust-c1", "cust-c2"}
		for batch := 0; batch < n; batch += 250 {
			var evs []map[string]any
			for i := batch; i < batch+250; i++ {
				// Only 37 distinct instants, so most events tie on the
				// timestamp and the id decides.
				evs = append(evs, map[string]any{
					"tenant": tenants[i%3], "action": "ENTITY_UPDATE", "summary": fmt.Sprint("event ", i),
					"occurred_at": base.Add(time.Duration(i*7%37) * time.Millisecond).Format(time.RFC3339Nano),
				})
			}
			for _, e := range f.s.Ingest(f.writer, evs...) {
				at, err := time.Parse(time.RFC3339Nano, e.OccurredAt)
				if err != nil {
					t.Fatal(err)
				}
				byUUID[e.UUID] = stored{at, e.ID}
			}
		}
		f.s.Ingest(f.writer, map[string]any{"tenant": "cust-d", "action": "ENTITY_UPDATE"})

		for _, order := range []string{"asc", "desc"} {
			want := make([]string, 0, n)
			for u := range byUUID {
				want = append(want, u)
			}
			slices.SortFunc(want, func(a, b string) int {
				x, y := byUUID[a], byUUID[b]
				c := x.at.Compare(y.at)
				if c == 0 {
					c = cmp.Compare(x.id, y.id)
				}
				if order == "desc" {
					c = -c
				}
				return c
			})
			var got []string
			pages := (n + limit - 1) / limit
			for page := 1; page <= pages+1; page++ {
				a := f.list(t, f.readers["cust-c"], "cust-c", fmt.Sprintf("sort=%s&sortFields=timestamp&limit=%d&page=%d", order, limit, page))
				wantCount := min(limit, max(0, n-(page-1)*limit))
				m := a.Meta
				if m.Page != page || m.Limit != limit || m.Total != n || m.Count != wantCount || len(a.Events) != wantCount || m.Sort != order {
					t.Fatalf("%s page %d: meta %+v with %d events, want count %d", order, page, m, len(a.Events), wantCount)
				}
				got = append(got, eventIDs(a)...)
			}
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Errorf("%s walk (-want +got):\n%s", order, diff)
			}
		}
	})
}
