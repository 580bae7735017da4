package auditply_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// TestWalk pages through a case of 1,000 entries and checks that every
// entry comes exactly once, newest first with id breaking ties, with the
// right pagination on every page and on the page after the last.
func TestWalk(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		tn := s.Tenant("Big bank", "customer", "big", uuid.Nil)
		other := s.Tenant("Neighbour", "customer", "neighbour", uuid.Nil)
		writer, reader := s.Key(tn.ID, "events:write"), s.Key(tn.ID, "kyc:read")

		// Times repeat (1,000 entries over 400 seconds) and do not follow
		// commit order, so the order depends on the id tie-break. The case
		// is sometimes the primary target, sometimes the container.
		base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		actions := []string{"ANSWER_SAVED", "STATUS_CHANGED", "SANCTIONS_SEARCH"}
		stored := compattest.IngestN(s, writer, 1000, func(i int) map[string]any {
			targets := onCase("42", "", "")
			if i%2 == 0 {
				targets = onCase("42", "kyc_answer", strconv.Itoa(i))
			}
			return map[string]any{
				"occurred_at": base.Add(time.Duration(i*7919%400)*time.Second + time.Duration(i%3)*time.Millisecond).Format(time.RFC3339Nano),
				"action":      actions[i%3],
				"actor":       map[string]any{"type": "user", "name": "Anna Jensen"},
				"targets":     targets,
			}
		})
		// Entries that must not appear: another case of the tenant, and
		// the same case number in another tenant.
		s.Ingest(writer, map[string]any{"action": "STATUS_CHANGED", "targets": onCase("43", "", "")})
		s.Ingest(s.Key(other.ID, "events:write"), map[string]any{"action": "STATUS_CHANGED", "targets": onCase("42", "", "")})

		compattest.Sort(stored, compattest.OccurredAt, true)
		all := compattest.IDs(stored)
		var searches []int64
		for _, e := range stored {
			if e.Action == "SANCTIONS_SEARCH" {
				searches = append(searches, e.ID)
			}
		}

		for _, w := range []struct {
			query string
			size  int
			want  []int64
		}{
			{"page_size=30", 30, all},
			{"", 25, all},
			{"page_size=100", 100, all},
			{"page_size=7&action=SANCTIONS_SEARCH", 7, searches},
		} {
			t.Run(fmt.Sprintf("%d %s", w.size, w.query), func(t *testing.T) {
				pages := (len(w.want) + w.size - 1) / w.size
				compattest.Walk(t, w.want, w.size, func(pg, _ int) []int64 {
					q := fmt.Sprintf("page=%d", pg)
					if w.query != "" {
						q += "&" + w.query
					}
					l := logOf(t, get(s, reader, "42", q))
					want := pagination{Page: pg, PageSize: w.size, TotalCount: int64(len(w.want)), TotalPages: int64(pages), HasMore: pg < pages}
					if l.Pagination != want {
						t.Fatalf("page %d: pagination %+v, want %+v", pg, l.Pagination, want)
					}
					return entryIDs(l.Data)
				})
			})
		}
	})
}
