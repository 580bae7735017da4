package httpx

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/event"
)

func TestClientGone(t *testing.T) {
	t.Parallel()
	live := httptest.NewRequest("GET", "/", nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := live.WithContext(ctx)
	ctx, cancel = context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	late := live.WithContext(ctx)
	for _, tc := range []struct {
		name string
		live bool
		err  error
		want bool
	}{
		{"cancelled query", false, fmt.Errorf("find: %w", context.Canceled), true},
		{"driver error after the cancel", false, errors.New("interrupted (9)"), true},
		{"unavailable after the cancel", false, fmt.Errorf("%w: broken pipe", event.ErrUnavailable), true},
		{"refused key after the cancel", false, fmt.Errorf("%w: revoked", event.ErrUnauthorized), false},
		{"client still there", true, errors.New("disk I/O error"), false},
		{"client still there, cancelled error", true, context.Canceled, false},
	} {
		r := gone
		if tc.live {
			r = live
		}
		if got := ClientGone(r, tc.err); got != tc.want {
			t.Errorf("%s: ClientGone = %v, want %v", tc.name, got, tc.want)
		}
	}
	// A request past a deadline is the server's timeout, answered as 503.
	if ClientGone(late, context.DeadlineExceeded) {
		t.Error("ClientGone on a request past its deadline")
	}
}
