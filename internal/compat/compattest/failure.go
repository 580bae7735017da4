package compattest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpapi"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
)

// BrokenStore is a real store some of whose methods fail with Err, the
// way a database that is down or corrupt makes them fail.
type BrokenStore struct {
	store.Store
	// Err is what the failing methods return.
	Err error
	// Fail names the methods that fail: KeyByHash, Tenant, Tenants,
	// Event, Find, Count or TargetTypes.
	Fail []string
	// Spare is how many calls of each failing method succeed before it
	// starts failing, to reach a second call behind a first.
	Spare int

	mu    sync.Mutex
	calls map[string]int
}

// fails counts a call of method and reports whether it fails.
func (b *BrokenStore) fails(method string) bool {
	if !slices.Contains(b.Fail, method) {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.calls == nil {
		b.calls = map[string]int{}
	}
	b.calls[method]++
	return b.calls[method] > b.Spare
}

func (b *BrokenStore) KeyByHash(ctx context.Context, h []byte) (store.Key, error) {
	if b.fails("KeyByHash") {
		return store.Key{}, b.Err
	}
	return b.Store.KeyByHash(ctx, h)
}

func (b *BrokenStore) Tenant(ctx context.Context, idOrRef string) (store.Tenant, error) {
	if b.fails("Tenant") {
		return store.Tenant{}, b.Err
	}
	return b.Store.Tenant(ctx, idOrRef)
}

func (b *BrokenStore) Tenants(ctx context.Context) ([]store.Tenant, error) {
	if b.fails("Tenants") {
		return nil, b.Err
	}
	return b.Store.Tenants(ctx)
}

func (b *BrokenStore) Event(ctx context.Context, tenants []uuid.UUID, ref store.EventRef) (event.Event, error) {
	if b.fails("Event") {
		return event.Event{}, b.Err
	}
	return b.Store.Event(ctx, tenants, ref)
}

func (b *BrokenStore) Find(ctx context.Context, q *store.Query) ([]event.Event, error) {
	if b.fails("Find") {
		return nil, b.Err
	}
	return b.Store.Find(ctx, q)
}

func (b *BrokenStore) Count(ctx context.Context, q *store.Query) (int64, error) {
	if b.fails("Count") {
		return 0, b.Err
	}
	return b.Store.Count(ctx, q)
}

func (b *BrokenStore) TargetTypes(ctx context.Context, tenants []uuid.UUID) ([]string, error) {
	if b.fails("TargetTypes") {
		return nil, b.Err
	}
	return b.Store.TargetTypes(ctx, tenants)
}

// Dialect is one dialect served alone over a store of the test's choice,
// a BrokenStore say, with its log kept for the test to read.
type Dialect struct {
	t    testing.TB
	http *httptest.Server
	logs *logBuffer
}

// ServeDialect starts a server over st with only the routes mount
// registers, closed when the test ends.
func ServeDialect(t testing.TB, st store.Store, mount func(*httpapi.Server)) *Dialect {
	t.Helper()
	logs := &logBuffer{}
	srv := httpapi.New(httpapi.Config{}, httpapi.Deps{
		Store: st,
		Query: query.New(st, make([]byte, 32)),
		Auth:  &auth.Authenticator{Store: st},
		Log:   slog.New(slog.NewTextHandler(logs, nil)),
		// Required: a nil *Registry reaches httpapi as a non-nil
		// Registerer and panics there.
		Registry: prometheus.NewRegistry(),
	})
	mount(srv)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &Dialect{t: t, http: hs, logs: logs}
}

// Get sends GET path with headers, given as name, value pairs.
func (d *Dialect) Get(path string, headers ...string) *apitest.Response {
	d.t.Helper()
	req, err := http.NewRequest("GET", d.http.URL+path, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := d.http.Client().Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		d.t.Fatal(err)
	}
	return &apitest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// Log is what the server has logged so far.
func (d *Dialect) Log() string { return d.logs.String() }

// CheckFailure checks the answer r to a request the store failed: it has
// the status, a 503 says when to retry, the body holds none of secrets
// (a failure says nothing internal), and the log holds every one of
// logged (the cause and what ties it to the answer).
func (d *Dialect) CheckFailure(t testing.TB, r *apitest.Response, status int, secrets []string, logged ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	for _, s := range secrets {
		if strings.Contains(string(r.Body), s) {
			t.Errorf("the answer exposes the cause (%q): %s", s, r.Body)
		}
	}
	if status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	log := d.Log()
	for _, s := range logged {
		if !strings.Contains(log, s) {
			t.Errorf("the log lacks %q:\n%s", s, log)
		}
	}
}

// logBuffer collects log output written by the server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
