package moyasar_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
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
		stored := compattest.IngestN(f.Server, f.Writer, n, func(i int) map[string]any {
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
			return e
		})
		f.Ingest(f.Writer, map[string]any{"tenant": "other", "action": "create"})

		value := map[string]func(e event.JSON) string{
			"created_at":     compattest.OccurredAt,
			"performer_type": actorType,
			"subject_type":   targetType,
			"action_type":    func(e event.JSON) string { return e.ActionType },
		}
		last := (n + items - 1) / items
		for field, val := range value {
			for _, dir := range []string{"asc", "desc"} {
				t.Run(field+" "+dir, func(t *testing.T) {
					evs := slices.Clone(stored)
					compattest.Sort(evs, val, dir == "desc")
					compattest.Walk(t, compattest.UUIDs(evs), items, func(page, _ int) []string {
						a := f.list(t, f.Keys["acq"], fmt.Sprintf("items=%d&page=%d&sort[field]=%s&sort[dir]=%s", items, page, field, dir))
						m := a.Meta
						wantNext, wantPrev := page+1, page-1
						if page >= last {
							wantNext = 0
						}
						if page > last {
							wantPrev = 0
						}
						if m.CurrentPage != page || orZero(m.NextPage) != wantNext || orZero(m.PrevPage) != wantPrev {
							t.Fatalf("%s %s page %d: %d entries, meta %d/%v/%v, want next %d, prev %d (0 = null)",
								field, dir, page, len(a.AuditLogs), m.CurrentPage, deref(m.NextPage), deref(m.PrevPage), wantNext, wantPrev)
						}
						return entryIDs(a)
					})
				})
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

// orZero is a page number, 0 for null (pages start at 1).
func orZero(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
