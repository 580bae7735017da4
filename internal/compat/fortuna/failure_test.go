package fortuna_test

import (
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
	"github.com/auditkeep/auditkeep/internal/compat/fortuna"
)

// TestDatabaseFailure checks that a failing database is answered with
// problem details (503 when it is unavailable, else 500) that say nothing
// internal, while the log keeps the cause and the trace id.
func TestDatabaseFailure(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		key := s.Key(s.Root.ID, "events:read")
		for _, o := range compattest.Outages() {
			t.Run(o.Name, func(t *testing.T) {
				t.Parallel()
				d := compattest.ServeDialect(t, o.Store(s.App.Store), fortuna.Serve)
				r := d.Get(route+"?category=Cpr", "X-Api-Key", key)
				p := problemOf(t, r, o.Status)
				d.CheckOutage(t, r, o, p.TraceID)
			})
		}
	})
}

// TestClientGone abandons requests while the store is serving them: a
// client going away is no server error, so it is logged at Info and
// counted as 499, never as a 5xx.
func TestClientGone(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		key := s.Key(s.Root.ID, "events:read")
		s.Ingest(s.AdminKey, map[string]any{"action": "Opslag", "category": "Cpr"})
		for _, method := range []string{"KeyByHash", "Find"} {
			t.Run(method, func(t *testing.T) {
				t.Parallel()
				hanging := &compattest.BrokenStore{Store: s.App.Store, Fail: []string{method}, Hang: true}
				compattest.CheckClientGone(t, hanging, fortuna.Serve, "fortuna: request cancelled", route+"?category=Cpr", "X-Api-Key", key)
			})
		}
	})
}
