package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/compat/auditply"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/compat/fortuna"
	"github.com/auditkeep/auditkeep/internal/compat/frankieone"
	"github.com/auditkeep/auditkeep/internal/compat/moyasar"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/query"
)

// TestReadDeadline: a read that outlives --read-timeout is cancelled and
// answered 503 with Retry-After and a message that names the limit, by the
// native and admin API and by every dialect, never left to hang; a key
// lookup is bounded the same way (its 503 says only "unavailable").
func TestReadDeadline(t *testing.T) {
	t.Parallel()
	f := compattest.NewFixture(t, "sqlite", "events:read")
	f.Ingest(f.Writer, map[string]any{"action": "kept"})
	key := f.Key(f.Root.ID, "events:read", "admin")
	for _, method := range []string{"Find", "Event", "TargetTypes", "KeyByHash", "Tenants"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			hanging := &compattest.BrokenStore{Store: f.App.Store, Fail: []string{method}, Hang: true}
			serve := func(mux httpx.Mux, d dialect.Deps) {
				fortuna.Serve(mux, d)
				auditply.Serve(mux, d)
				frankieone.Serve(mux, d)
				moyasar.Serve(mux, d)
			}
			d := compattest.ServeDialectWith(t, hanging, query.Limits{ReadTimeout: 50 * time.Millisecond}, serve)
			paths := map[string][]string{
				"Find":        {"/v1/events", "/api/audit/records", "/api/v1/kyc/cases/1/audit-log", "/v2/audit", "/v1/audit_logs"},
				"Event":       {"/v1/events/1", "/v1/audit_logs/" + uuid.NewString()},
				"TargetTypes": {"/v1/audit_logs/subjects"},
				"KeyByHash":   {"/v1/events", "/api/audit/records", "/v2/audit"},
				"Tenants":     {"/v1/admin/tenants"},
			}[method]
			for _, path := range paths {
				r := d.Get(path, "Authorization", "Bearer "+key, "X-Frankie-CustomerID", f.Root.ID.String())
				d.CheckFailure(t, r, http.StatusServiceUnavailable, nil)
				if method != "KeyByHash" && !strings.Contains(string(r.Body), "longer than its limit of 50ms") {
					t.Errorf("%s: %s, want the deadline named", path, r.Body)
				}
			}
		})
	}
}

// TestStalledExports: clients that ask for an export and never read it
// hold neither every export slot nor any database connection: beyond the
// per-tenant limit they are refused (503), and a victim request of another
// tenant is answered in full meanwhile. With the limits lifted, more
// stalled exports than the database has connections still leave the
// victim its answer: an export holds no cursor while it writes.
func TestStalledExports(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		for _, tc := range []struct {
			name        string
			limits      query.Limits
			wantRunning int
		}{
			{"default limits", query.Limits{}, query.DefaultMaxExportsPerTenant},
			{"no export limit", query.Limits{MaxExports: 100, MaxExportsPerTenant: 100}, 6},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				stalledExports(t, engine, tc.limits, tc.wantRunning)
			})
		}
	})
}

func stalledExports(t *testing.T, engine string, limits query.Limits, wantRunning int) {
	{
		f := compattest.NewFamilyWith(t, engine, "events:read", func(c *app.Config) { c.Read = limits })
		// About 12 MB of export: far more than a stalled connection's
		// socket buffers hold, so its writer blocks.
		blob := strings.Repeat("x", 60000)
		for range 2 {
			evs := make([]map[string]any, 100)
			for i := range evs {
				evs[i] = map[string]any{"action": "bulk", "tenant": f.Tenants["a"].ID.String(), "metadata": map[string]any{"blob": blob}}
			}
			f.Ingest(f.Writer, evs...)
		}
		f.Ingest(f.Writer, map[string]any{"action": "victim.event", "tenant": f.Tenants["b"].ID.String()})

		// More stalled clients than the database has connections for
		// readers (4 on SQLite and PostgreSQL here).
		const stalled = 6
		addr := strings.TrimPrefix(f.URL, "http://")
		statuses := make([]string, stalled)
		var conns []net.Conn
		t.Cleanup(func() {
			for _, c := range conns {
				c.Close()
			}
		})
		for i := range stalled {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetReadBuffer(4096)
			}
			fmt.Fprintf(c, "GET /v1/ledger/export HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", addr, f.Keys["a"])
			// Read the status line only: the export has started (or been
			// refused), and from now on nothing more is read.
			line, err := bufio.NewReaderSize(c, 16).ReadString('\n')
			if err != nil {
				t.Fatalf("stalled client %d: %v", i, err)
			}
			statuses[i] = strings.TrimSpace(line)
		}
		running := 0
		for _, s := range statuses {
			switch s {
			case "HTTP/1.1 200 OK":
				running++
			case "HTTP/1.1 503 Service Unavailable":
			default:
				t.Errorf("stalled export answered %q", s)
			}
		}
		if running != wantRunning {
			t.Errorf("%d exports of one tenant running (%v), want %d", running, statuses, wantRunning)
		}

		// The victim: several reads of tenant b at once, each in full.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequestWithContext(ctx, "GET", f.URL+"/v1/events?limit=5", nil)
				req.Header.Set("Authorization", "Bearer "+f.Keys["b"])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("victim %d: %v", i, err)
					return
				}
				defer resp.Body.Close()
				var body strings.Builder
				_, _ = bufio.NewReader(resp.Body).WriteTo(&body)
				if resp.StatusCode != 200 || strings.Count(body.String(), `"action":"victim.event"`) != 1 || strings.Contains(body.String(), "bulk") {
					t.Errorf("victim %d: %d %s", i, resp.StatusCode, body.String())
				}
			}()
		}
		wg.Wait()
		// Another tenant's export is not refused for a's stalled ones.
		if r := f.Do("GET", "/v1/ledger/export", f.Keys["b"], nil); r.Status != 200 || !strings.Contains(string(r.Body), "victim.event") {
			t.Errorf("b's export: %d %.200s", r.Status, r.Body)
		}
	}
}

// TestExportBatches: an export larger than one read batch (about 1 MiB)
// is the whole log, in order, and verifies against its checkpoint: no
// line lost or repeated where one batch ends and the next begins.
func TestExportBatches(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := compattest.NewFamily(t, engine, "events:read")
		blob := strings.Repeat("x", 60000)
		const n = 50 // about 3 MB: three batches
		evs := make([]map[string]any, n)
		for i := range evs {
			evs[i] = map[string]any{"action": fmt.Sprint("e", i), "tenant": f.Tenants["a"].ID.String(), "metadata": map[string]any{"blob": blob}}
		}
		f.Ingest(f.Writer, evs[:n/2]...)
		f.Ingest(f.Writer, evs[n/2:]...)
		r := f.Do("GET", "/v1/ledger/export", f.Keys["a"], nil)
		if r.Status != 200 {
			t.Fatalf("export: %d %s", r.Status, r.Body)
		}
		note, err := base64.StdEncoding.DecodeString(r.Header.Get("Ledger-Checkpoint"))
		if err != nil {
			t.Fatal(err)
		}
		var keys struct {
			Keys []struct {
				VKey string `json:"vkey"`
			} `json:"keys"`
		}
		f.Do("GET", "/v1/ledger/keys", f.Keys["a"], nil).JSON(t, &keys)
		rep, err := ledger.VerifyExport(bytes.NewReader(r.Body), note, []string{keys.Keys[0].VKey})
		if err != nil || !rep.OK() || rep.Verified != n {
			t.Errorf("export of %d bytes: %v %s", len(r.Body), err, rep)
		}
		for i, line := range bytes.Split(bytes.TrimSuffix(r.Body, []byte("\n")), []byte("\n")) {
			if !bytes.Contains(line, []byte(fmt.Sprintf(`"action":"e%d"`, i))) {
				t.Fatalf("line %d is not event e%d: %.100s", i, i, line)
			}
		}
	})
}
