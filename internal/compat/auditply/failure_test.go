package auditply_test

import (
	"net/http"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/auditply"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// TestDatabaseFailure checks that a failing database is answered with the
// dialect's error body (503 when it is unavailable, else 500) that says
// nothing internal, while the log keeps the cause.
func TestDatabaseFailure(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		key := s.Key(s.Root.ID, "events:read")
		s.Ingest(s.AdminKey, map[string]any{"action": "CASE_CREATED", "targets": onCase("42", "", "")})
		codes := map[int]string{http.StatusServiceUnavailable: "SERVICE_UNAVAILABLE", http.StatusInternalServerError: "INTERNAL_ERROR"}
		check := func(t *testing.T, o compattest.Outage, broken *compattest.BrokenStore, query string) {
			d := compattest.ServeDialect(t, broken, auditply.Serve)
			r := d.Get(casePath("42")+"?"+query, "X-API-Key", key)
			errorOf(t, r, o.Status, codes[o.Status])
			d.CheckOutage(t, r, o)
		}
		for _, o := range compattest.Outages() {
			t.Run(o.Name, func(t *testing.T) {
				t.Parallel()
				check(t, o, o.Store(s.App.Store), "")
			})
			if o.InAuth {
				continue
			}
			// Only the second read fails: the existence check after an
			// empty filtered page.
			t.Run(o.Name+" existence check", func(t *testing.T) {
				t.Parallel()
				check(t, o, &compattest.BrokenStore{Store: s.App.Store, Err: o.Err, Fail: []string{"Find"}, Spare: 1}, "action=NOPE")
			})
		}
	})
}

// TestClientGone abandons requests while the store is serving them, the
// existence check included: a client going away is no server error, so it
// is logged at Info and counted as 499, never as a 5xx.
func TestClientGone(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		key := s.Key(s.Root.ID, "events:read")
		s.Ingest(s.AdminKey, map[string]any{"action": "CASE_CREATED", "targets": onCase("42", "", "")})
		for _, tc := range []struct {
			name, method string
			spare        int
			query        string
		}{
			{"authentication", "KeyByHash", 0, ""},
			{"read", "Find", 0, ""},
			{"existence check", "Find", 1, "action=NOPE"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				hanging := &compattest.BrokenStore{Store: s.App.Store, Fail: []string{tc.method}, Spare: tc.spare, Hang: true}
				compattest.CheckClientGone(t, hanging, auditply.Serve, "auditply: request cancelled", casePath("42")+"?"+tc.query, "X-API-Key", key)
			})
		}
	})
}
