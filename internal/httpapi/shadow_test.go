package httpapi_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// TestEventUUIDShadowing: uuids are unique per tenant, so a descendant can
// hold an event of the same uuid as the key's own tenant. Reading it by
// uuid returns the key's own event, on the native API and on Moyasar's,
// whichever was stored first.
func TestEventUUIDShadowing(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := compattest.NewFamily(t, engine, "events:read")
		u := uuid.NewString()
		// The child's first, so that an unordered lookup finds it first.
		f.Ingest(f.Writer, map[string]any{"action": "child.event", "uuid": u, "tenant": f.Tenants["a1"].ID.String()})
		f.Ingest(f.Writer, map[string]any{"action": "own.event", "uuid": u, "tenant": f.Tenants["a"].ID.String()})
		for _, tc := range []struct{ key, want string }{{"a", "own.event"}, {"a1", "child.event"}} {
			r := f.Do("GET", "/v1/events/"+u, f.Keys[tc.key], nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), `"`+tc.want+`"`) {
				t.Errorf("native, key of %s: %d %s, want %s", tc.key, r.Status, r.Body, tc.want)
			}
			r = f.Do("GET", "/v1/audit_logs/"+u, f.Keys[tc.key], nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), `"`+tc.want+`"`) {
				t.Errorf("moyasar, key of %s: %d %s, want %s", tc.key, r.Status, r.Body, tc.want)
			}
		}
	})
}
