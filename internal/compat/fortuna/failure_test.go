package fortuna_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
	"github.com/auditkeep/auditkeep/internal/compat/fortuna"
	"github.com/auditkeep/auditkeep/internal/event"
)

// TestDatabaseFailure checks that a failing database is answered with
// problem details (503 when it is unavailable, else 500) that say nothing
// internal, while the log keeps the cause and the trace id.
func TestDatabaseFailure(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		key := s.Key(s.Root.ID, "events:read")
		secret := "10.9.8.7:5432 password=hunter2"
		tests := []struct {
			name   string
			err    error
			inAuth bool // the key lookup fails too
			status int
		}{
			{"unavailable", fmt.Errorf("%w: dial %s: connection refused", event.ErrUnavailable, secret), false, 503},
			{"timeout", fmt.Errorf("query at %s: %w", secret, context.DeadlineExceeded), false, 503},
			{"broken", fmt.Errorf("disk I/O error at %s", secret), false, 500},
			{"unavailable during authentication", fmt.Errorf("%w: dial %s", event.ErrUnavailable, secret), true, 503},
			{"broken during authentication", errors.New("corrupt index " + secret), true, 500},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				broken := &compattest.BrokenStore{Store: s.App.Store, Err: tc.err, Fail: []string{"Find", "Count"}}
				if tc.inAuth {
					broken.Fail = append(broken.Fail, "KeyByHash")
				}
				d := compattest.ServeDialect(t, broken, fortuna.Mount)
				r := d.Get(route+"?category=Cpr", "X-Api-Key", key)
				p := problemOf(t, r, tc.status)
				d.CheckFailure(t, r, tc.status, []string{"hunter2", "10.9.8.7"}, "hunter2", p.TraceID)
			})
		}
	})
}
