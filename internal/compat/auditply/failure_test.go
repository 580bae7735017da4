package auditply_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/auditply"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
	"github.com/auditkeep/auditkeep/internal/event"
)

// TestDatabaseFailure checks that a failing database is answered with the
// dialect's error body (503 when it is unavailable, else 500) that says
// nothing internal, while the log keeps the cause.
func TestDatabaseFailure(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		key := s.Key(s.Root.ID, "events:read")
		s.Ingest(s.AdminKey, map[string]any{"action": "CASE_CREATED", "targets": onCase("42", "", "")})
		secret := "10.9.8.7:5432 password=hunter2"
		tests := []struct {
			name   string
			err    error
			inAuth bool // the key lookup fails too
			// secondFind: only the second read fails, the existence check
			// after an empty filtered page.
			secondFind bool
			query      string
			status     int
			code       string
		}{
			{"unavailable", fmt.Errorf("%w: dial %s: connection refused", event.ErrUnavailable, secret), false, false, "", 503, "SERVICE_UNAVAILABLE"},
			{"timeout", fmt.Errorf("query at %s: %w", secret, context.DeadlineExceeded), false, false, "", 503, "SERVICE_UNAVAILABLE"},
			{"broken", fmt.Errorf("disk I/O error at %s", secret), false, false, "", 500, "INTERNAL_ERROR"},
			{"broken existence check", fmt.Errorf("disk I/O error at %s", secret), false, true, "action=NOPE", 500, "INTERNAL_ERROR"},
			{"unavailable during authentication", fmt.Errorf("%w: dial %s", event.ErrUnavailable, secret), true, false, "", 503, "SERVICE_UNAVAILABLE"},
			{"broken during authentication", errors.New("corrupt index " + secret), true, false, "", 500, "INTERNAL_ERROR"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				broken := &compattest.BrokenStore{Store: s.App.Store, Err: tc.err, Fail: []string{"Find", "Count"}}
				if tc.secondFind {
					broken.Fail, broken.Spare = []string{"Find"}, 1
				}
				if tc.inAuth {
					broken.Fail = append(broken.Fail, "KeyByHash")
				}
				d := compattest.ServeDialect(t, broken, auditply.Mount)
				r := d.Get(casePath("42")+"?"+tc.query, "X-API-Key", key)
				errorOf(t, r, tc.status, tc.code)
				d.CheckFailure(t, r, tc.status, []string{"hunter2", "10.9.8.7"}, "hunter2")
			})
		}
	})
}
