package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/auditkeep/auditkeep/internal/compat/compattest"
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// TestVisibilityStoreFailure: a tenant lookup that fails in the store is
// a 503, never an empty answer or a 403 as if the tenant were foreign.
func TestVisibilityStoreFailure(t *testing.T) {
	t.Parallel()
	f := compattest.NewFamily(t, "sqlite", "events:read")
	f.Ingest(f.Writer, map[string]any{"action": "kept", "tenant": f.Tenants["a"].ID.String()})
	admin := f.Key(f.Tenants["a"].ID, "admin", "events:read")
	broken := &compattest.BrokenStore{Store: f.App.Store, Err: fmt.Errorf("%w: connection refused", event.ErrUnavailable), Fail: []string{"Tenant"}}
	d := compattest.ServeDialect(t, broken, func(httpx.Mux, dialect.Deps) {})
	for _, path := range []string{
		"/v1/events?tenant=a",
		"/v1/events?tenant=" + f.Tenants["a1"].ID.String(),
		"/v1/admin/keys?tenant=a1",
	} {
		r := d.Get(path, "Authorization", "Bearer "+admin)
		d.CheckFailure(t, r, 503, []string{"connection refused"}, "connection refused")
	}
}
