package frankieone_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
	"github.com/auditkeep/auditkeep/internal/compat/frankieone"
	"github.com/auditkeep/auditkeep/internal/event"
)

// TestStoreFailures breaks each store call the route makes: the client
// gets FrankieOne's system error, the log gets the cause under the same
// requestId, and nothing internal reaches the body.
func TestStoreFailures(t *testing.T) {
	s := apitest.New(t, "sqlite")
	c := s.Tenant("Customer", "customer", "cust-c", uuid.Nil)
	key := s.Key(c.ID, "events:read")
	// Two events and limit=1, so the total needs a count of its own.
	s.Ingest(s.AdminKey, map[string]any{"action": "ENTITY_UPDATE", "tenant": "cust-c"}, map[string]any{"action": "lookup", "tenant": "cust-c"})
	secret := "relation events_p2024 is corrupt"
	tests := []struct {
		method string
		err    error
		status int
		code   string
	}{
		{"KeyByHash", fmt.Errorf("%w: %s", event.ErrUnavailable, secret), 503, "SYS-0503"},
		{"KeyByHash", errors.New(secret), 500, "SYS-0000"},
		{"Tenant", fmt.Errorf("%w: %s", event.ErrUnavailable, secret), 503, "SYS-0503"},
		{"Tenant", errors.New(secret), 500, "SYS-0000"},
		{"Find", fmt.Errorf("%w: %s", event.ErrUnavailable, secret), 503, "SYS-0503"},
		{"Find", errors.New(secret), 500, "SYS-0000"},
		{"Count", context.DeadlineExceeded, 503, "SYS-0503"},
		{"Count", errors.New(secret), 500, "SYS-0000"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.method, tc.status), func(t *testing.T) {
			t.Parallel()
			broken := &compattest.BrokenStore{Store: s.App.Store, Err: tc.err, Fail: []string{tc.method}}
			d := compattest.ServeDialect(t, broken, frankieone.Serve)
			r := d.Get("/v2/audit?limit=1", "api_key", key, "X-Frankie-CustomerID", "cust-c")
			var e errorAnswer
			compattest.DecodeStrict(t, r.Body, &e)
			if e.ErrorCode != tc.code || e.HTTPStatusCode != tc.status {
				t.Errorf("status %d: %s", r.Status, r.Body)
			}
			// The log ties the cause to the answer by its requestId.
			logged := []string{e.RequestID}
			if tc.err != context.DeadlineExceeded {
				logged = append(logged, "corrupt")
			}
			d.CheckFailure(t, r, tc.status, []string{"corrupt"}, logged...)
		})
	}
}

// TestClientGone abandons a request at each store call the route makes: a
// client going away is no server error, so it is logged at Info and
// counted as 499, never as a 5xx.
func TestClientGone(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		c := s.Tenant("Customer", "customer", "cust-c", uuid.Nil)
		key := s.Key(c.ID, "events:read")
		// Two events and limit=1, so the total needs a count of its own.
		s.Ingest(s.AdminKey, map[string]any{"action": "ENTITY_UPDATE", "tenant": "cust-c"}, map[string]any{"action": "lookup", "tenant": "cust-c"})
		for _, method := range []string{"KeyByHash", "Tenant", "Find", "Count"} {
			t.Run(method, func(t *testing.T) {
				t.Parallel()
				hanging := &compattest.BrokenStore{Store: s.App.Store, Fail: []string{method}, Hang: true}
				compattest.CheckClientGone(t, hanging, frankieone.Serve, "frankieone: request cancelled", "/v2/audit?limit=1",
					"api_key", key, "X-Frankie-CustomerID", "cust-c")
			})
		}
	})
}
