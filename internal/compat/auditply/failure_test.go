package auditply_test

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

	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/compat/auditply"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpapi"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
)

// failingStore is a real store whose reads fail with err: every read, or
// only the second (the existence check after an empty filtered page); with
// inAuth the key lookup fails too.
type failingStore struct {
	store.Store
	err         error
	inAuth      bool
	secondFinds bool
	mu          sync.Mutex
	finds       int
}

func (f *failingStore) Find(ctx context.Context, q *store.Query) ([]event.Event, error) {
	f.mu.Lock()
	f.finds++
	n := f.finds
	f.mu.Unlock()
	if f.secondFinds && n == 1 {
		return f.Store.Find(ctx, q)
	}
	return nil, f.err
}

func (f *failingStore) Count(ctx context.Context, q *store.Query) (int64, error) {
	if f.secondFinds {
		return f.Store.Count(ctx, q)
	}
	return 0, f.err
}

func (f *failingStore) KeyByHash(ctx context.Context, h []byte) (store.Key, error) {
	if f.inAuth {
		return store.Key{}, f.err
	}
	return f.Store.KeyByHash(ctx, h)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

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
			name        string
			err         error
			inAuth      bool
			secondFinds bool
			query       string
			status      int
			code        string
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
				logs := &lockedBuffer{}
				fs := &failingStore{Store: s.App.Store, err: tc.err, inAuth: tc.inAuth, secondFinds: tc.secondFinds}
				srv := httpapi.New(httpapi.Config{}, httpapi.Deps{
					Store: fs,
					Query: query.New(fs, make([]byte, 32)),
					Auth:  &auth.Authenticator{Store: fs},
					Log:   slog.New(slog.NewTextHandler(logs, nil)),
					// Required: a nil *Registry reaches httpapi as a non-nil
					// Registerer and panics there.
					Registry: prometheus.NewRegistry(),
				})
				auditply.Mount(srv)
				hs := httptest.NewServer(srv.Handler())
				defer hs.Close()

				req, _ := http.NewRequest("GET", hs.URL+casePath("42")+"?"+tc.query, nil)
				req.Header.Set("X-API-Key", key)
				resp, err := hs.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				errorOf(t, &apitest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, tc.status, tc.code)
				if strings.Contains(string(body), "hunter2") || strings.Contains(string(body), "10.9.8.7") {
					t.Errorf("the answer exposes the cause: %s", body)
				}
				if tc.status == 503 && resp.Header.Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
				if !strings.Contains(logs.String(), "hunter2") {
					t.Errorf("the log lacks the cause:\n%s", logs.String())
				}
			})
		}
	})
}
