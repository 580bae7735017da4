package compattest

import (
	"bytes"
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
	"github.com/auditkeep/auditkeep/internal/httpapi"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
)

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

// CheckOutage is CheckFailure for an answer to a request that o failed:
// the body holds nothing of o's error, and the log holds its cause and
// every one of logged.
func (d *Dialect) CheckOutage(t testing.TB, r *apitest.Response, o Outage, logged ...string) {
	t.Helper()
	d.CheckFailure(t, r, o.Status, outageLeaks, append([]string{outageCause}, logged...)...)
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
