package frankieone_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// TestWalk pages through 1,000 events of a customer and its children in
// both orders: every event appears exactly once, in timestamp order with
// ties broken by id, and every page's meta is right.
func TestWalk(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, [][2]string{{"cust-c", ""}, {"cust-c1", "cust-c"}, {"cust-c2", "cust-c"}, {"cust-d", ""}})
		const n, limit = 1000, 33
		base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		tenants := []string{"cust-c", "cust-c1", "cust-c2"}
		stored := compattest.IngestN(f.Server, f.Writer, n, func(i int) map[string]any {
			// Only 37 distinct instants, so most events tie on the
			// timestamp and the id decides.
			return map[string]any{
				"tenant": tenants[i%3], "action": "ENTITY_UPDATE", "summary": fmt.Sprint("event ", i),
				"occurred_at": base.Add(time.Duration(i*7%37) * time.Millisecond).Format(time.RFC3339Nano),
			}
		})
		f.Ingest(f.Writer, map[string]any{"tenant": "cust-d", "action": "ENTITY_UPDATE"})

		for _, order := range []string{"asc", "desc"} {
			t.Run(order, func(t *testing.T) {
				evs := slices.Clone(stored)
				compattest.Sort(evs, compattest.OccurredAt, order == "desc")
				compattest.Walk(t, compattest.UUIDs(evs), limit, func(page, wantCount int) []string {
					a := f.list(t, f.Keys["cust-c"], "cust-c", fmt.Sprintf("sort=%s&sortFields=timestamp&limit=%d&page=%d", order, limit, page))
					m := a.Meta
					if m.Page != page || m.Limit != limit || m.Total != n || m.Count != wantCount || m.Sort != order {
						t.Fatalf("%s page %d: meta %+v with %d events, want count %d", order, page, m, len(a.Events), wantCount)
					}
					return eventIDs(a)
				})
			})
		}
	})
}
