package moyasar_test

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
	"github.com/auditkeep/auditkeep/internal/compat/moyasar"
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

func (b *brokenStore) Tenants(ctx context.Context) ([]store.Tenant, error) {
	if err := b.fail("Tenants"); err != nil {
		return nil, err
	}
	return b.Store.Tenants(ctx)
}

func (b *brokenStore) Find(ctx context.Context, q *store.Query) ([]event.Event, error) {
	if err := b.fail("Find"); err != nil {
		return nil, err
	}
	return b.Store.Find(ctx, q)
}

func (b *brokenStore) Event(ctx context.Context, tenants []uuid.UUID, ref store.EventRef) (event.Event, error) {
	if err := b.fail("Event"); err != nil {
		return event.Event{}, err
	}
	return b.Store.Event(ctx, tenants, ref)
}

// TargetTypes is what the engine asks the store for the subjects route.
func (b *brokenStore) TargetTypes(ctx context.Context, tenants []uuid.UUID) ([]string, error) {
	if err := b.fail("TargetTypes"); err != nil {
		return nil, err
	}
	tt, ok := b.Store.(interface {
		TargetTypes(context.Context, []uuid.UUID) ([]string, error)
	})
	if !ok {
		return nil, errors.New("the wrapped store cannot list target types")
	}
	return tt.TargetTypes(ctx, tenants)
}

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
			var logs syncBuffer
			broken := &brokenStore{Store: s.App.Store, method: tc.method, err: tc.err}
			srv := httpapi.New(httpapi.Config{}, httpapi.Deps{
				Store: broken, Query: query.New(broken, make([]byte, 32)), Auth: &auth.Authenticator{Store: broken},
				Log: slog.New(slog.NewJSONHandler(&logs, nil)), Registry: prometheus.NewRegistry(),
			})
			moyasar.Mount(srv)
			ts := httptest.NewServer(srv.Handler())
			defer ts.Close()
			req, _ := http.NewRequest("GET", ts.URL+tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var e errorAnswer
			decodeStrict(t, body, &e)
			if resp.StatusCode != tc.status || e.Message != tc.message || e.Errors != nil || strings.Contains(string(body), "corrupt") {
				t.Errorf("status %d: %s", resp.StatusCode, body)
			}
			if tc.status == 503 && resp.Header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
			if !strings.Contains(logs.String(), "corrupt") {
				t.Errorf("the log does not tell what failed:\n%s", logs.String())
			}
		})
	}
}
