package moyasar_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
	"github.com/auditkeep/auditkeep/internal/compat/moyasar"
	"github.com/auditkeep/auditkeep/internal/event"
)

// TestStoreFailures breaks each store call the routes make: the client
// gets Moyasar's 503 or 500 body, the log gets the cause, and nothing
// internal reaches the body.
func TestStoreFailures(t *testing.T) {
	s := apitest.New(t, "sqlite")
	acq := s.Tenant("Acquirer", "acquirer", "acq", uuid.Nil)
	key := s.Key(acq.ID, "audit_logs_read")
	id := s.Ingest(s.AdminKey, map[string]any{"action": "create", "tenant": "acq", "targets": []map[string]any{{"type": "Order", "id": "1"}}})[0].UUID
	secret := "relation events_p2024 is corrupt"
	unavailable := fmt.Errorf("%w: %s", event.ErrUnavailable, secret)
	internal := errors.New(secret)
	tests := []struct {
		path, method string
		err          error
		status       int
		message      string
	}{
		{"/v1/audit_logs", "KeyByHash", unavailable, 503, "Service unavailable"},
		{"/v1/audit_logs", "KeyByHash", internal, 500, "Internal server error"},
		{"/v1/audit_logs", "Find", unavailable, 503, "Service unavailable"},
		{"/v1/audit_logs", "Find", internal, 500, "Internal server error"},
		{"/v1/audit_logs", "Tenant", unavailable, 503, "Service unavailable"},
		{"/v1/audit_logs", "Tenant", internal, 500, "Internal server error"},
		{"/v1/audit_logs?organization_name=a", "Tenants", unavailable, 503, "Service unavailable"},
		{"/v1/audit_logs?organization_type=Merchant", "Tenants", internal, 500, "Internal server error"},
		{"/v1/audit_logs/" + id, "Event", unavailable, 503, "Service unavailable"},
		{"/v1/audit_logs/" + id, "Event", internal, 500, "Internal server error"},
		{"/v1/audit_logs/" + id, "Tenant", internal, 500, "Internal server error"},
		{"/v1/audit_logs/subjects", "TargetTypes", unavailable, 503, "Service unavailable"},
		{"/v1/audit_logs/subjects", "TargetTypes", internal, 500, "Internal server error"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.path, tc.method, tc.status), func(t *testing.T) {
			t.Parallel()
			broken := &compattest.BrokenStore{Store: s.App.Store, Err: tc.err, Fail: []string{tc.method}}
			d := compattest.ServeDialect(t, broken, moyasar.Serve)
			r := d.Get(tc.path, "Authorization", "Bearer "+key)
			var e errorAnswer
			compattest.DecodeStrict(t, r.Body, &e)
			if e.Message != tc.message || e.Errors != nil {
				t.Errorf("status %d: %s", r.Status, r.Body)
			}
			d.CheckFailure(t, r, tc.status, []string{"corrupt"}, "corrupt")
		})
	}
}

// TestClientGone abandons a request at each store call the routes make: a
// client going away is no server error, so it is logged at Info and
// counted as 499, never as a 5xx.
func TestClientGone(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		acq := s.Tenant("Acquirer", "acquirer", "acq", uuid.Nil)
		key := s.Key(acq.ID, "audit_logs_read")
		id := s.Ingest(s.AdminKey, map[string]any{"action": "create", "tenant": "acq", "targets": []map[string]any{{"type": "Order", "id": "1"}}})[0].UUID
		for _, tc := range []struct{ path, method string }{
			{"/v1/audit_logs", "KeyByHash"},
			{"/v1/audit_logs", "Find"},
			{"/v1/audit_logs", "Tenant"},
			{"/v1/audit_logs?organization_type=Merchant", "Tenants"},
			{"/v1/audit_logs/" + id, "Event"},
			{"/v1/audit_logs/subjects", "TargetTypes"},
		} {
			t.Run(tc.path+" "+tc.method, func(t *testing.T) {
				t.Parallel()
				hanging := &compattest.BrokenStore{Store: s.App.Store, Fail: []string{tc.method}, Hang: true}
				compattest.CheckClientGone(t, hanging, moyasar.Serve, "moyasar: request cancelled", tc.path, "Authorization", "Bearer "+key)
			})
		}
	})
}
