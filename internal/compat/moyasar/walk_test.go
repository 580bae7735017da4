package moyasar_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/event"
)

// TestWalk pages through the 1,000 entries of an acquirer and its
// merchants for every sort[field] × sort[dir]: each entry appears exactly
// once, in order with ties broken by id, and every page's next_page and
// prev_page are right, up to an empty page past the end.
func TestWalk(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, []node{
			{"acq", "acquirer", ""}, {"m1", "merchant", "acq"}, {"m2", "merchant", "acq"}, {"m3", "merchant", "acq"},
			{"other", "acquirer", ""},
		})
		const n, items = 1000, 37
		base := time.Date(2025, 1, 15, 14, 30, 0, 0, time.UTC)
		// Few distinct values per sort field, so most entries tie and the
		// id decides; "user" and "" are outside the vendor's enum and sort
		// by what is stored.
		performers := []string{"AcquirerUser", "MerchantUser", "StaffUser", "ApiKey", "AcquirerApiKey", "user", ""}
		subjects := []string{"Merchant", "Order", "Payment", "Refund", "Order::Item"}
		tenants := []string{"acq", "m1", "m2", "m3"}
		stored := map[string]event.JSON{}
		for batch := 0; batch < n; batch += 200 {
			var evs []map[string]any
			for i := batch; i < batch+200; i++ {
				e := map[string]any{
					"tenant": tenants[i%4], "action": "create", "action_type": []string{"active", "passive"}[i%3%2],
					"occurred_at": base.Add(time.Duration(i*11%37) * time.Second).Format(time.RFC3339),
				}
				if p := performers[i%7]; p != "" {
					e["actor"] = map[string]any{"type": p, "id": fmt.Sprint("u-", i%5)}
				}
				if i%6 != 0 {
					e["targets"] = []map[string]any{{"type": subjects[i%5], "id": fmt.Sprint(i)}}
				}
				evs = append(evs, e)
			}
			for _, e := range f.s.Ingest(f.writer, evs...) {
				stored[e.UUID] = e
			}
		}
		f.s.Ingest(f.writer, map[string]any{"tenant": "other", "action": "create"})

		value := map[string]func(e event.JSON) string{
			"created_at":     func(e event.JSON) string { return e.OccurredAt },
			"performer_type": func(e event.JSON) string { return actorType(e) },
			"subject_type":   func(e event.JSON) string { return targetType(e) },
			"action_type":    func(e event.JSON) string { return e.ActionType },
		}
		for field, val := range value {
			for _, dir := range []string{"asc", "desc"} {
				want := make([]string, 0, n)
				for u := range stored {
					want = append(want, u)
				}
				slices.SortFunc(want, func(a, b string) int {
					x, y := stored[a], stored[b]
					c := cmp.Compare(val(x), val(y))
					if field == "created_at" {
						c = mustTime(t, x.OccurredAt).Compare(mustTime(t, y.OccurredAt))
					}
					if c == 0 {
						c = cmp.Compare(x.ID, y.ID)
					}
					if dir == "desc" {
						c = -c
					}
					return c
				})
				var got []string
				last := (n + items - 1) / items
				for page := 1; page <= last+1; page++ {
					a := f.list(t, f.keys["acq"], fmt.Sprintf("items=%d&page=%d&sort[field]=%s&sort[dir]=%s", items, page, field, dir))
					m := a.Meta
					wantN, wantNext, wantPrev := items, page+1, page-1
					switch {
					case page == last:
						wantN, wantNext = n-(last-1)*items, 0
					case page > last:
						wantN, wantNext, wantPrev = 0, 0, 0
					}
					if m.CurrentPage != page || len(a.AuditLogs) != wantN || orZero(m.NextPage) != wantNext || orZero(m.PrevPage) != wantPrev {
						t.Fatalf("%s %s page %d: %d entries, meta %d/%v/%v, want %d entries, next %d, prev %d (0 = null)",
							field, dir, page, len(a.AuditLogs), m.CurrentPage, deref(m.NextPage), deref(m.PrevPage), wantN, wantNext, wantPrev)
					}
					got = append(got, entryIDs(a)...)
				}
				if diff := gocmp.Diff(want, got); diff != "" {
					t.Errorf("%s %s walk (-want +got):\n%s", field, dir, diff)
				}
			}
		}
	})
}

func actorType(e event.JSON) string {
	if e.Actor == nil {
		return ""
	}
	return e.Actor.Type
}

func targetType(e event.JSON) string {
	if len(e.Targets) == 0 {
		return ""
	}
	return e.Targets[0].Type
}

func mustTime(t *testing.T, s string) time.Time {
	at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// orZero is a page number, 0 for null (pages start at 1).
func orZero(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
