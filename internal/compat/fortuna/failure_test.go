package fortuna_test

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
	"github.com/auditkeep/auditkeep/internal/compat/fortuna"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpapi"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
)

// failingStore is a real store whose reads fail with err; with inAuth the
// key lookup fails too.
type failingStore struct {
	store.Store
	err    error
	inAuth bool
}

func (f *failingStore) Find(context.Context, *store.Query) ([]event.Event, error) { return nil, f.err }
func (f *failingStore) Count(context.Context, *store.Query) (int64, error)        { return 0, f.err }
func (f *failingStore) KeyByHash(ctx context.Context, h []byte) (store.Key, error) {
	if f.inAuth {
		return store.Key{}, f.err
	}
	return f.Store.KeyByHash(ctx, h)
}

// lockedBuffer collects log output written by server goroutines.
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
			inAuth bool
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
				logs := &lockedBuffer{}
				fs := &failingStore{Store: s.App.Store, err: tc.err, inAuth: tc.inAuth}
				srv := httpapi.New(httpapi.Config{}, httpapi.Deps{
					Store: fs,
					Query: query.New(fs, make([]byte, 32)),
					Auth:  &auth.Authenticator{Store: fs},
					Log:   slog.New(slog.NewTextHandler(logs, nil)),
					// Required: a nil *Registry reaches httpapi as a non-nil
					// Registerer and panics there.
					Registry: prometheus.NewRegistry(),
				})
				fortuna.Mount(srv)
				hs := httptest.NewServer(srv.Handler())
				defer hs.Close()

				req, _ := http.NewRequest("GET", hs.URL+"/api/audit/records?category=Cpr", nil)
				req.Header.Set("X-Api-Key", key)
				resp, err := hs.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r := &apitest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
				p := problemOf(t, r, tc.status)
				if strings.Contains(string(body), "hunter2") || strings.Contains(string(body), "10.9.8.7") {
					t.Errorf("the answer exposes the cause: %s", body)
				}
				if tc.status == 503 && resp.Header.Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
				if l := logs.String(); !strings.Contains(l, "hunter2") || !strings.Contains(l, p.TraceID) {
					t.Errorf("the log lacks the cause or the trace id %s:\n%s", p.TraceID, l)
				}
			})
		}
	})
}
