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
				d := compattest.ServeDialect(t, o.Store(s.App.Store), fortuna.Mount)
				r := d.Get(route+"?category=Cpr", "X-Api-Key", key)
				p := problemOf(t, r, o.Status)
				d.CheckOutage(t, r, o, p.TraceID)
			})
		}
	})
}
