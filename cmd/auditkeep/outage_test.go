package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
)

// readRoute is one read of one surface, with how its own 503 looks.
type readRoute struct {
	name, path  string
	headers     []string // name, value pairs besides the key
	unavailable string   // in the body of the surface's own 503
}

func readRoutes(tenantID string) []readRoute {
	return []readRoute{
		{"native", "/v1/events?limit=20", nil, `"code":"unavailable"`},
		{"native count", "/v1/events?limit=1&count=exact&action=load.single", nil, `"code":"unavailable"`},
		{"fortuna", "/api/audit/records?pageSize=20", nil, `"title":"Service Unavailable"`},
		{"auditply", "/api/v1/kyc/cases/42/audit-log", nil, `"code":"SERVICE_UNAVAILABLE"`},
		{"frankieone", "/v2/audit?limit=20", []string{"X-Frankie-CustomerID", tenantID}, `"errorCode":"SYS-0503"`},
		{"moyasar", "/v1/audit_logs?limit=20", nil, `"message":"Service unavailable"`},
	}
}

// get sends route with key and reports its status; a 503 must be the
// surface's own, with Retry-After; a 500 or another body is a wrong answer.
func (rt readRoute) get(client *http.Client, base, key string) (int, string) {
	req, _ := http.NewRequest("GET", base+rt.path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(rt.headers); i += 2 {
		req.Header.Set(rt.headers[i], rt.headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Sprintf("%s: %v", rt.name, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNotFound:
		return resp.StatusCode, ""
	case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" && strings.Contains(string(b), rt.unavailable) && !strings.Contains(string(b), "SQLSTATE"):
		return resp.StatusCode, ""
	}
	return resp.StatusCode, fmt.Sprintf("%s: %d %s: %.300s", rt.name, resp.StatusCode, resp.Header, b)
}

// terminateBackends ends every connection to the database db names but
// the caller's own, as an operator's pg_terminate_backend or a failover
// would.
func terminateBackends(ctx context.Context, admin *pgx.Conn, db string) (int, error) {
	u, err := url.Parse(db)
	if err != nil {
		return 0, err
	}
	var n int
	err = admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, strings.TrimPrefix(u.Path, "/")).Scan(&n)
	return n, err
}

// TestPostgresOutage terminates the server's database connections again
// and again for a few seconds under 16 writers and readers of every
// surface. Ingest answers 503 with Retry-After and never acknowledges what
// it did not commit; every read answers 200/404 or its own surface's 503;
// nothing answers 500; and the service recovers by itself.
func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	db := apitest.DB(t, "postgres")
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)

	keyFile := filepath.Join(t.TempDir(), "admin-key")
	p := startServe(t, db, keyFile, testMasterKey...)
	readKey(t, keyFile)
	out, errOut, err := runCLI(t, "tenant", "list", "--db", db, "--json")
	if err != nil {
		t.Fatalf("tenant list: %v\n%s", err, errOut)
	}
	var tl struct{ Tenants []struct{ ID string } }
	if err := json.Unmarshal([]byte(out), &tl); err != nil || len(tl.Tenants) != 1 {
		t.Fatalf("tenant list: %v %s", err, out)
	}
	out, errOut, err = runCLI(t, "key", "create", "--db", db, "--tenant", tl.Tenants[0].ID, "--scopes", "events:read,events:write,kyc:read,audit_logs_read", "--json")
	if err != nil {
		t.Fatalf("key create: %v\n%s", err, errOut)
	}
	var created struct{ Key string }
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	key := created.Key
	routes := readRoutes(tl.Tenants[0].ID)

	l := startLoad(p.url, key, 16)
	l.waitFor(300, 30*time.Second)

	// Readers of every surface, through the outage and after.
	var mu sync.Mutex
	readStatus := map[string]map[int]int{}
	var readWrong []string
	stopReads := make(chan struct{})
	var readers sync.WaitGroup
	for _, rt := range routes {
		readStatus[rt.name] = map[int]int{}
		readers.Add(1)
		go func() {
			defer readers.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stopReads:
					return
				default:
				}
				status, wrong := rt.get(client, p.url, key)
				mu.Lock()
				readStatus[rt.name][status]++
				if wrong != "" {
					readWrong = append(readWrong, wrong)
				}
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}

	before := l.Statuses()[http.StatusServiceUnavailable]
	killed := 0
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		n, err := terminateBackends(ctx, admin, db)
		if err != nil {
			t.Fatal(err)
		}
		killed += n
		time.Sleep(20 * time.Millisecond)
	}
	during := l.Statuses()[http.StatusServiceUnavailable] - before
	t.Logf("terminated %d backends; ingest answered 503 %d times", killed, during)
	if killed == 0 || during == 0 {
		t.Fatalf("the outage was not seen: %d backends terminated, %d ingest 503s", killed, during)
	}

	// Recovered by itself: new events acknowledged, every surface reads.
	n := l.n.Load()
	l.waitFor(n+300, 30*time.Second)
	if l.n.Load() < n+300 {
		t.Fatalf("ingest did not recover: %d acknowledged after the outage", l.n.Load()-n)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, rt := range routes {
		deadline := time.Now().Add(30 * time.Second)
		for {
			status, _ := rt.get(client, p.url, key)
			if status == http.StatusOK || status == http.StatusNotFound {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not recover: status %d", rt.name, status)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	close(stopReads)
	readers.Wait()
	l.Stop()

	t.Logf("ingest answers: %v; reads: %v", l.Statuses(), readStatus)
	if wrong := l.Wrong(); len(wrong) > 0 {
		t.Errorf("%d ingest answers broke the contract, first: %s", len(wrong), wrong[0])
	}
	if len(readWrong) > 0 {
		t.Errorf("%d read answers broke the contract, first: %s", len(readWrong), readWrong[0])
	}
	// No false acknowledgement: every 201 is in the database.
	checkStored(t, p.url, key, l.Acked())
	if out, errOut, err := runCLI(t, "verify", "--db", db); err != nil {
		t.Fatalf("verify after the outage: %v\n%s%s", err, out, errOut)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.done; err != nil {
		t.Errorf("SIGTERM exit: %v\n%s", err, p.stderr)
	}
}
