package httpapi_test

import (
	"context"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// TestUnauthorizedSaysOneThing: an unknown, malformed, revoked or
// IP-refused key gets the same 401, byte for byte, so the answer does not
// tell a key thief which keys exist or where they work.
func TestUnauthorizedSaysOneThing(t *testing.T) {
	t.Parallel()
	f := compattest.NewFixture(t, "sqlite", "events:read")
	refused, _, err := f.App.Tenants.CreateKey(context.Background(), tenant.NewKey{Tenant: f.Root.ID.String(), Scopes: []string{"events:read"}, AllowIPs: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{
		"unknown":    "ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"malformed":  "nonsense",
		"revoked":    f.RevokedKey("root", "events:read"),
		"IP-refused": refused,
	}
	for _, path := range []string{"/v1/events", "/v1/events/1", "/v1/admin/tenants", "/v1/ledger/checkpoint"} {
		var first *apitest.Response
		for name, key := range keys {
			r := f.Do("GET", path, key, nil)
			if r.Status != 401 {
				t.Errorf("%s %s: status %d, want 401", name, path, r.Status)
			}
			if first == nil {
				first = r
			} else if string(r.Body) != string(first.Body) {
				t.Errorf("%s %s: %s, others %s", name, path, r.Body, first.Body)
			}
		}
	}
	// No key at all may say what is missing.
	if r := f.Do("GET", "/v1/events", "", nil); r.Status != 401 {
		t.Errorf("no key: status %d", r.Status)
	}
}
