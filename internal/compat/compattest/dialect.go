package compattest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/httpapi"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// Dialect is one dialect served alone over a store of the test's choice,
// a BrokenStore say, with its log kept for the test to read.
type Dialect struct {
	t        testing.TB
	http     *httptest.Server
	logs     *logBuffer
	reg      *prometheus.Registry
	inflight sync.WaitGroup // requests the server is handling
}

// Serve is a dialect's Serve (or a test's own): it registers routes on
// the server's mux from the dependencies it is given.
type Serve func(httpx.Mux, dialect.Deps)

// ServeDialect starts a server over st with only the routes serve
// registers, closed when the test ends.
func ServeDialect(t testing.TB, st store.Store, serve Serve) *Dialect {
	t.Helper()
	return ServeDialectWith(t, st, query.Limits{}, serve)
}

// ServeDialectWith is ServeDialect with the read service bounded by limits.
func ServeDialectWith(t testing.TB, st store.Store, limits query.Limits, serve Serve) *Dialect {
	t.Helper()
	d := &Dialect{t: t, logs: &logBuffer{}, reg: prometheus.NewRegistry()}
	read := query.NewService(st, query.New(st, make([]byte, 32)), &tenant.Service{Store: st}, nil, limits)
	keys := &httpx.Authenticator{Keys: &auth.Authenticator{Store: st}, Timeout: read.Limits().ReadTimeout}
	log := slog.New(slog.NewTextHandler(d.logs, nil))
	srv := httpapi.New(httpapi.Config{}, httpapi.Deps{
		Read: read,
		Auth: keys,
		Log:  log,
		// Required: a nil *Registry reaches httpapi as a non-nil
		// Registerer and panics there.
		Registry: d.reg,
	})
	serve(srv, dialect.Deps{Read: read, Auth: keys, Log: log})
	h := srv.Handler()
	d.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.inflight.Add(1)
		defer d.inflight.Done()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(d.http.Close)
	return d
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

// Abandon sends GET path with headers over a dialect served on hanging,
// a Hang store, and gives up on the request once the store is serving it,
// the way a client does that times out or is closed. It returns when the
// server has finished with the request.
func (d *Dialect) Abandon(hanging *BrokenStore, path string, headers ...string) {
	d.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", d.http.URL+path, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	sent := make(chan error, 1)
	go func() {
		resp, err := d.http.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		sent <- err
	}()
	select {
	case <-hanging.Hung():
	case err := <-sent:
		d.t.Fatalf("the request was answered before the store was asked (%v):\n%s", err, d.Log())
	case <-time.After(30 * time.Second):
		d.t.Fatal("the store was never asked")
	}
	cancel()
	if err := <-sent; !errors.Is(err, context.Canceled) {
		d.t.Fatalf("the abandoned request ended with %v, want context.Canceled", err)
	}
	done := make(chan struct{})
	go func() { d.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		d.t.Fatal("the server never finished the abandoned request")
	}
}

// CheckAbandoned checks what the server made of the request Abandon gave
// up on: a client going away is no fault of the server's, so it is logged
// at Info only, with what (the dialect's message), and the request is
// counted with status 499, never a 5xx.
func (d *Dialect) CheckAbandoned(t testing.TB, what string) {
	t.Helper()
	log := d.Log()
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if !strings.Contains(line, "level=INFO") && !strings.Contains(line, "level=DEBUG") {
			t.Errorf("logged above Info: %s", line)
		}
	}
	if !strings.Contains(log, "level=INFO msg=\""+what+"\"") {
		t.Errorf("the log lacks %q at Info:\n%s", what, log)
	}
	if !strings.Contains(log, "status=499") {
		t.Errorf("the request log line lacks status 499:\n%s", log)
	}
	mfs, err := d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counted := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "auditkeep_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "status" {
					counted[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	if len(counted) != 1 || counted["499"] != 1 {
		t.Errorf("requests counted by status %v, want one 499", counted)
	}
}

// CheckClientGone serves serve over hanging, a Hang store, abandons GET
// path sent with headers once the store hangs on it, and checks what the
// dialect made of it as CheckAbandoned does, what being the dialect's log
// message.
func CheckClientGone(t *testing.T, hanging *BrokenStore, serve Serve, what, path string, headers ...string) {
	t.Helper()
	d := ServeDialect(t, hanging, serve)
	d.Abandon(hanging, path, headers...)
	d.CheckAbandoned(t, what)
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
