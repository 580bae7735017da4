package auditply_test

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/event"
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
		var stored []event.JSON
		for batch := range 2 {
			evs := make([]map[string]any, 500)
			for j := range evs {
				i := batch*500 + j
				targets := onCase("42", "", "")
				if i%2 == 0 {
					targets = onCase("42", "kyc_answer", strconv.Itoa(i))
				}
				evs[j] = map[string]any{
					"occurred_at": base.Add(time.Duration(i*7919%400)*time.Second + time.Duration(i%3)*time.Millisecond).Format(time.RFC3339Nano),
					"action":      actions[i%3],
					"actor":       map[string]any{"type": "user", "name": "Anna Jensen"},
					"targets":     targets,
				}
			}
			stored = append(stored, s.Ingest(writer, evs...)...)
		}
		// Entries that must not appear: another case of the tenant, and
		// the same case number in another tenant.
		s.Ingest(writer, map[string]any{"action": "STATUS_CHANGED", "targets": onCase("43", "", "")})
		s.Ingest(s.Key(other.ID, "events:write"), map[string]any{"action": "STATUS_CHANGED", "targets": onCase("42", "", "")})

		slices.SortFunc(stored, func(a, b event.JSON) int {
			if c := cmp.Compare(b.OccurredAt, a.OccurredAt); c != 0 {
				return c // the native form has fixed-width UTC times, so text order is time order
			}
			return cmp.Compare(b.ID, a.ID)
		})
		var all, searches []int64
		for _, e := range stored {
			all = append(all, e.ID)
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
				var got []int64
				pages := (len(w.want) + w.size - 1) / w.size
				for pg := 1; pg <= pages+1; pg++ {
					q := fmt.Sprintf("page=%d", pg)
					if w.query != "" {
						q += "&" + w.query
					}
					l := logOf(t, get(s, reader, "42", q))
					want := pagination{Page: pg, PageSize: w.size, TotalCount: int64(len(w.want)), TotalPages: int64(pages), HasMore: pg < pages}
					if l.Pagination != want {
						t.Fatalf("page %d: pagination %+v, want %+v", pg, l.Pagination, want)
					}
					wantLen := min(w.size, max(0, len(w.want)-(pg-1)*w.size))
					if len(l.Data) != wantLen {
						t.Fatalf("page %d: %d entries, want %d", pg, len(l.Data), wantLen)
					}
					for _, e := range l.Data {
						got = append(got, e.ID)
					}
				}
				if d := gocmp.Diff(w.want, got); d != "" {
					t.Errorf("entries over all pages, in order (-want +got):\n%s", d)
				}
			})
		}
	})
}
