package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// Engines lists the engines every API test runs on.
var Engines = []string{"sqlite", "postgres"}

// EachEngine runs fn as a parallel subtest per engine.
func EachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

// Server is a running service on a fresh database.
type Server struct {
	t    testing.TB
	URL  string
	DB   string // the database, as DB returned it
	App  *app.App
	Root store.Tenant
	// AdminKey is the root tenant's key with admin, events:read and
	// events:write.
	AdminKey string
	http     *httptest.Server
}

// Option adjusts the service's configuration.
type Option func(*app.Config)

// DB returns the database a test of engine should use: a new SQLite file,
// or a new PostgreSQL database.
func DB(t testing.TB, engine string) string {
	if engine == "postgres" {
		return pgtest.NewDatabase(t)
	}
	return filepath.Join(t.TempDir(), "auditkeep.db")
}

// New starts the service on a fresh database of engine.
func New(t testing.TB, engine string, opts ...Option) *Server {
	t.Helper()
	cfg := app.Config{DB: DB(t, engine), MasterKey: make([]byte, 32), CheckpointInterval: 50 * time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	a, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	secret, root, err := a.Tenants.Bootstrap(ctx)
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	s := &Server{t: t, DB: cfg.DB, App: a, Root: root, AdminKey: secret}
	s.http = httptest.NewServer(a.Handler())
	s.URL = s.http.URL
	t.Cleanup(func() {
		s.http.Close()
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.Close(cctx); err != nil {
			t.Errorf("close app: %v", err)
		}
	})
	return s
}

// Tenant makes a tenant under parent (the root when parent is uuid.Nil).
func (s *Server) Tenant(name, kind, ref string, parent uuid.UUID) store.Tenant {
	s.t.Helper()
	if parent == uuid.Nil {
		parent = s.Root.ID
	}
	tn, err := s.App.Tenants.Create(context.Background(), tenant.NewTenant{Name: name, Kind: kind, Ref: ref, Parent: parent.String()})
	if err != nil {
		s.t.Fatalf("tenant %s: %v", name, err)
	}
	return tn
}

// Key makes a key of tenant with scopes and returns its secret.
func (s *Server) Key(tenantID uuid.UUID, scopes ...string) string {
	s.t.Helper()
	secret, _, err := s.App.Tenants.CreateKey(context.Background(), tenant.NewKey{Tenant: tenantID.String(), Scopes: scopes})
	if err != nil {
		s.t.Fatalf("key: %v", err)
	}
	return secret
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Do sends a request with a Bearer key (when key is not ""). body is sent
// as is when it is a string or []byte, else as JSON. headers are name,
// value pairs.
func (s *Server) Do(method, path, key string, body any, headers ...string) *Response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.http.Client().Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Ingest posts events with key and returns them as stored; it fails the
// test unless the answer is 201.
func (s *Server) Ingest(key string, events ...map[string]any) []event.JSON {
	s.t.Helper()
	r := s.Do("POST", "/v1/events", key, map[string]any{"events": events})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("ingest: %d %s", r.Status, r.Body)
	}
	var out struct{ Events []event.JSON }
	r.JSON(s.t, &out)
	return out.Events
}

// Count returns how many events the store holds across every tenant.
func (s *Server) Count() int64 {
	s.t.Helper()
	ts, err := s.App.Store.Tenants(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	ids := make([]uuid.UUID, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	n, err := s.App.Store.Count(context.Background(), &store.Query{Tenants: ids})
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}
