package fortuna_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// TestWalk pages through a 1,000-event tenant and checks that every
// record comes exactly once, newest first with id breaking ties, with the
// right totals on every page and on the page after the last.
func TestWalk(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		tn := s.Tenant("Big casino", "operator", "big", uuid.Nil)
		other := s.Tenant("Neighbour", "operator", "neighbour", uuid.Nil)
		writer, reader := s.Key(tn.ID, "events:write"), s.Key(tn.ID, "events:read")

		// Times repeat (1,000 events over 400 seconds) and do not follow
		// commit order, so the order depends on the id tie-break.
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		stored := compattest.IngestN(s, writer, 1000, func(i int) map[string]any {
			return map[string]any{
				"occurred_at":  base.Add(time.Duration(i*7919%400) * time.Second).Format(time.RFC3339Nano),
				"category":     "Rofus",
				"action":       "gambler_check",
				"external_ref": fmt.Sprintf("player-%d", i%3),
				"summary":      "GamblerStatus=NotRegistered",
			}
		})
		// Another tenant's records must not appear anywhere.
		s.Ingest(s.Key(other.ID, "events:write"), map[string]any{"category": "Rofus", "action": "gambler_check", "external_ref": "player-0"})

		compattest.Sort(stored, compattest.OccurredAt, true)
		all := compattest.IDs(stored)
		var player0 []int64
		for _, e := range stored {
			if e.ExternalRef == "player-0" {
				player0 = append(player0, e.ID)
			}
		}

		for _, w := range []struct {
			query string
			size  int
			want  []int64
		}{
			{"pageSize=37", 37, all},
			{"", 50, all},
			{"pageSize=500", 500, all},
			{"pageSize=25&externalReference=player-0", 25, player0},
		} {
			t.Run(fmt.Sprintf("%d %s", w.size, w.query), func(t *testing.T) {
				compattest.Walk(t, w.want, w.size, func(pg, _ int) []int64 {
					q := fmt.Sprintf("page=%d", pg)
					if w.query != "" {
						q += "&" + w.query
					}
					p := page(t, get(s, reader, q))
					if p.Page != pg || p.PageSize != w.size || p.TotalCount != int64(len(w.want)) {
						t.Fatalf("page %d: page, pageSize, totalCount = %d, %d, %d; want %d, %d, %d", pg, p.Page, p.PageSize, p.TotalCount, pg, w.size, len(w.want))
					}
					return recordIDs(p.Items)
				})
			})
		}
	})
}
