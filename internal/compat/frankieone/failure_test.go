package frankieone_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/compat/frankieone"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpapi"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
)

// brokenStore is a real store one of whose methods fails with err.
type brokenStore struct {
	store.Store
	method string
	err    error
}

func (b *brokenStore) fail(method string) error {
	if b.method == method {
		return b.err
	}
	return nil
}

func (b *brokenStore) KeyByHash(ctx context.Context, h []byte) (store.Key, error) {
	if err := b.fail("KeyByHash"); err != nil {
		return store.Key{}, err
	}
	return b.Store.KeyByHash(ctx, h)
}

func (b *brokenStore) Tenant(ctx context.Context, idOrRef string) (store.Tenant, error) {
	if err := b.fail("Tenant"); err != nil {
		return store.Tenant{}, err
	}
	return b.Store.Tenant(ctx, idOrRef)
}

func (b *brokenStore) Find(ctx context.Context, q *store.Query) ([]event.Event, error) {
	if err := b.fail("Find"); err != nil {
		return nil, err
	}
	return b.Store.Find(ctx, q)
}

func (b *brokenStore) Count(ctx context.Context, q *store.Query) (int64, error) {
	if err := b.fail("Count"); err != nil {
		return 0, err
	}
	return b.Store.Count(ctx, q)
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

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
			var logs syncBuffer
			broken := &brokenStore{Store: s.App.Store, method: tc.method, err: tc.err}
			srv := httpapi.New(httpapi.Config{}, httpapi.Deps{
				Store: broken, Query: query.New(broken, make([]byte, 32)), Auth: &auth.Authenticator{Store: broken},
				Log: slog.New(slog.NewJSONHandler(&logs, nil)), Registry: prometheus.NewRegistry(),
			})
			frankieone.Mount(srv)
			ts := httptest.NewServer(srv.Handler())
			defer ts.Close()
			req, _ := http.NewRequest("GET", ts.URL+"/v2/audit?limit=1", nil)
			req.Header.Set("api_key", key)
			req.Header.Set("X-Frankie-CustomerID", "cust-c")
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var e errorAnswer
			decodeStrict(t, body, &e)
			if resp.StatusCode != tc.status || e.ErrorCode != tc.code || e.HTTPStatusCode != tc.status || strings.Contains(string(body), "corrupt") {
				t.Errorf("status %d: %s", resp.StatusCode, body)
			}
			if tc.status == 503 && resp.Header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
			if !strings.Contains(logs.String(), e.RequestID) || tc.err != context.DeadlineExceeded && !strings.Contains(logs.String(), "corrupt") {
				t.Errorf("the log does not tell what failed under requestId %s:\n%s", e.RequestID, logs.String())
			}
		})
	}
}
