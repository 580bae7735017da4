package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// TestClientGone: a client that goes away while the store serves its
// request is no server error. The native routes log it at Info and record
// it as 499, never as a 500 with an ERROR line.
func TestClientGone(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		key := s.Key(s.Root.ID, "events:read")
		ev := s.Ingest(s.AdminKey, map[string]any{"action": "kept"}, map[string]any{"action": "kept"})[0]
		for _, tc := range []struct{ method, path string }{
			{"KeyByHash", "/v1/events"},
			{"Find", "/v1/events?action=kept"},
			{"Count", "/v1/events?count=exact&action=kept&limit=1"}, // one page of two: counted
			{"Event", fmt.Sprintf("/v1/events/%d", ev.ID)},
		} {
			t.Run(tc.method, func(t *testing.T) {
				t.Parallel()
				hanging := &compattest.BrokenStore{Store: s.App.Store, Fail: []string{tc.method}, Hang: true}
				compattest.CheckClientGone(t, hanging, func(httpx.Mux, dialect.Deps) {}, "request cancelled", tc.path, "Authorization", "Bearer "+key)
			})
		}
	})
}
