package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "auditkeep-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "auditkeep")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	pgtest.Main(m)
}

// proc is a running auditkeep serve.
type proc struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	done   chan error
}

var listening = regexp.MustCompile(`msg=listening addr=(http://\S+)`)

func startServe(t *testing.T, db, keyFile string, extra ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--admin-key-file", keyFile}, extra...)...)
	cmd.Env = append(os.Environ(), "AUDITKEEP_LOG_LEVEL=info")
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	urlc := make(chan string, 1)
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			p.stderr.WriteString(line + "\n")
			mu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				urlc <- m[1]
			}
		}
	}()
	go func() { p.done <- cmd.Wait(); pw.Close() }()
	select {
	case p.url = <-urlc:
	case err := <-p.done:
		t.Fatalf("serve exited: %v\n%s", err, p.stderr)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve did not start\n%s", p.stderr)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

type acked struct {
	UUID string `json:"uuid"`
	Seq  int64  `json:"seq"`
}

// writeUntilStopped runs writers that post single events and small
// batches, and returns every event the server acknowledged.
func writeUntilStopped(url, key string, stop <-chan struct{}) (func() []acked, *atomic.Int64) {
	var mu sync.Mutex
	var all []acked
	var wg sync.WaitGroup
	var n atomic.Int64
	client := &http.Client{Timeout: 10 * time.Second}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var body string
				if i%3 == 0 {
					body = fmt.Sprintf(`{"events":[{"action":"b%d-%d-0"},{"action":"b%d-%d-1"},{"action":"b%d-%d-2"}]}`, w, i, w, i, w, i)
				} else {
					body = fmt.Sprintf(`{"action":"s%d-%d"}`, w, i)
				}
				req, _ := http.NewRequest("POST", url+"/v1/events", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := client.Do(req)
				if err != nil {
					continue // the server died mid-request: not acknowledged
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					continue
				}
				var got []acked
				if i%3 == 0 {
					var batch struct{ Events []acked }
					if json.Unmarshal(b, &batch) != nil {
						continue
					}
					got = batch.Events
				} else {
					var one acked
					if json.Unmarshal(b, &one) != nil {
						continue
					}
					got = []acked{one}
				}
				n.Add(int64(len(got)))
				mu.Lock()
				all = append(all, got...)
				mu.Unlock()
			}
		}()
	}
	return func() []acked { wg.Wait(); mu.Lock(); defer mu.Unlock(); return all }, &n
}

// TestCrashKeepsAcknowledgedEvents kills the server with SIGKILL while
// writers are sending, restarts it, and finds every acknowledged event.
func TestCrashKeepsAcknowledgedEvents(t *testing.T) {
	for _, engine := range apitest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			db := apitest.DB(t, engine)
			keyFile := filepath.Join(t.TempDir(), "admin-key")
			var extra []string
			if engine == "postgres" {
				extra = testMasterKey
			}
			// Small, frequent index batches: the kill falls between log
			// commits and index batches, with the indexer behind.
			p := startServe(t, db, keyFile, append([]string{"--index-batch", "50", "--index-delay", "1ms"}, extra...)...)
			key := readKey(t, keyFile)
			stop := make(chan struct{})
			wait, n := writeUntilStopped(p.url, key, stop)
			deadline := time.Now().Add(20 * time.Second)
			for n.Load() < 2000 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-p.done
			close(stop)
			acks := wait()
			if len(acks) < 100 {
				t.Fatalf("only %d events acknowledged before the kill", len(acks))
			}
			checkIndexAfterCrash(t, db, acks)
			p2 := startServe(t, db, keyFile, extra...)
			stored := listAll(t, p2.url, key)
			for _, a := range acks {
				if !stored[a.UUID] {
					t.Fatalf("acknowledged event %s (seq %d) lost after SIGKILL; %d acknowledged, %d stored", a.UUID, a.Seq, len(acks), len(stored))
				}
			}
			t.Logf("%s: %d acknowledged, %d stored after SIGKILL", engine, len(acks), len(stored))
			p2.cmd.Process.Signal(syscall.SIGTERM)
			if err := <-p2.done; err != nil {
				t.Errorf("SIGTERM exit: %v\n%s", err, p2.stderr)
			}
		})
	}
}

// checkIndexAfterCrash: the kill fell somewhere between log commits and
// index batches. Every acknowledged event is found by an indexed filter
// before the indexer resumes (from the tail) and after it has folded the
// rest (from the indexes), and the folded indexes hold each exactly once.
func checkIndexAfterCrash(t *testing.T, db string, acks []acked) {
	t.Helper()
	ctx := context.Background()
	st, err := app.OpenStore(ctx, db, app.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tenants, err := st.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var scope []uuid.UUID
	for _, tn := range tenants {
		scope = append(scope, tn.ID)
	}
	lag, err := st.Lag(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("index lag after the kill: %d events", lag.Events)
	check := func(state string) {
		for i := 0; i < len(acks); i += 200 {
			var ids []uuid.UUID
			for _, a := range acks[i:min(i+200, len(acks))] {
				ids = append(ids, uuid.MustParse(a.UUID))
			}
			q := &store.Query{Tenants: scope, Filter: store.Filter{UUIDs: ids}, Limit: 1000}
			found, err := st.Find(ctx, q)
			if err != nil || len(found) != len(ids) {
				t.Fatalf("%s: %d of %d acknowledged events found by uuid (%v)", state, len(found), len(ids), err)
			}
		}
		all, _ := st.Count(ctx, &store.Query{Tenants: scope})
		n, err := st.Count(ctx, &store.Query{Tenants: scope, Filter: store.Filter{ActionPrefixes: []string{"s", "b"}}})
		if err != nil || n != all || n < int64(len(acks)) {
			t.Fatalf("%s: %d events by action prefix (%v), %d in the log, %d acknowledged", state, n, err, all, len(acks))
		}
	}
	check("before the indexer resumes")
	for {
		n, err := st.IndexBatch(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	check("after the indexer caught up")
}

// TestGracefulShutdown stops the server with SIGTERM under load: it exits
// 0, and every acknowledged event is there after a restart.
func TestGracefulShutdown(t *testing.T) {
	db := apitest.DB(t, "sqlite")
	keyFile := filepath.Join(t.TempDir(), "admin-key")
	p := startServe(t, db, keyFile)
	key := readKey(t, keyFile)
	stop := make(chan struct{})
	wait, n := writeUntilStopped(p.url, key, stop)
	for n.Load() < 500 {
		time.Sleep(10 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	err := <-p.done
	close(stop)
	acks := wait()
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "msg=stopped") {
		t.Errorf("no clean stop in the log:\n%s", p.stderr)
	}
	p2 := startServe(t, db, keyFile)
	stored := listAll(t, p2.url, key)
	for _, a := range acks {
		if !stored[a.UUID] {
			t.Fatalf("acknowledged event %s lost after SIGTERM", a.UUID)
		}
	}
}

func readKey(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("admin key file mode %v, want 0600", fi.Mode().Perm())
	}
	return strings.TrimSpace(string(b))
}

// listAll walks GET /v1/events with cursors and returns the uuids seen.
func listAll(t *testing.T, url, key string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	cursor := ""
	for {
		req, _ := http.NewRequest("GET", url+"/v1/events?limit=1000&cursor="+cursor, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Events     []acked
			NextCursor *string `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("list: %d %v", resp.StatusCode, err)
		}
		for _, e := range page.Events {
			if seen[e.UUID] {
				t.Fatalf("event %s listed twice", e.UUID)
			}
			seen[e.UUID] = true
		}
		if page.NextCursor == nil {
			return seen
		}
		cursor = *page.NextCursor
	}
}

// TestCLI runs the admin commands in-process and checks their JSON.
func TestCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cli.db")
	runJSON := func(args ...string) map[string]any {
		t.Helper()
		var out, errb bytes.Buffer
		if err := run(context.Background(), append(args, "--db", db, "--json"), func(string) string { return "" }, &out, &errb); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errb.String())
		}
		var v map[string]any
		if err := json.Unmarshal(out.Bytes(), &v); err != nil {
			t.Fatalf("%v printed %q: %v", args, out.String(), err)
		}
		return v
	}
	root := runJSON("tenant", "create", "--name", "Acquirer", "--kind", "acquirer", "--ref", "acq")
	child := runJSON("tenant", "create", "--name", "Merchant", "--kind", "merchant", "--parent", "acq")
	if child["parent"] != root["id"] {
		t.Errorf("child parent = %v, want %v", child["parent"], root["id"])
	}
	key := runJSON("key", "create", "--tenant", "acq", "--scopes", "events:read,audit_logs_read", "--name", "ci", "--allow-ip", "10.0.0.0/8")
	if !strings.HasPrefix(fmt.Sprint(key["key"]), "ak_") || key["id"] == "" {
		t.Errorf("key create printed %v", key)
	}
	list := runJSON("key", "list")
	if n := len(list["keys"].([]any)); n != 1 {
		t.Errorf("key list: %d keys", n)
	}
	if ts := runJSON("tenant", "list")["tenants"].([]any); len(ts) != 2 {
		t.Errorf("tenant list: %d tenants", len(ts))
	}
	revoked := runJSON("key", "revoke", fmt.Sprint(key["id"]))
	if revoked["status"] != "revoked" {
		t.Errorf("revoke printed %v", revoked)
	}
	// Environment variables stand in for flags.
	var out bytes.Buffer
	env := func(k string) string {
		if k == "AUDITKEEP_DB" {
			return db
		}
		return ""
	}
	if err := run(context.Background(), []string{"tenant", "list"}, env, &out, io.Discard); err != nil || !strings.Contains(out.String(), "Merchant") {
		t.Errorf("tenant list with AUDITKEEP_DB: %v %q", err, out.String())
	}
	for _, bad := range [][]string{
		{"key", "create", "--tenant", "acq", "--scopes", "root"},
		{"key", "create", "--tenant", "nobody", "--scopes", "admin"},
		{"tenant", "create", "--name", "x", "--parent", "nobody"},
		{"key", "revoke", "not-a-uuid"},
		{"frobnicate"},
	} {
		if err := run(context.Background(), append(bad, "--db", db), func(string) string { return "" }, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded, want an error", bad)
		}
	}
}

// TestREADMEWalkthrough runs the README's walkthrough verbatim (but for the
// port) against a fresh server started the README's way, in its directory.
func TestREADMEWalkthrough(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## Walkthrough")
	if !ok {
		t.Fatal("README has no Walkthrough section")
	}
	_, block, _ := strings.Cut(after, "```sh\n")
	script, _, _ := strings.Cut(block, "```")
	dir := t.TempDir()
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0")
	cmd.Dir = dir
	pr, pw := io.Pipe()
	cmd.Stderr, cmd.Stdout = pw, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	sc := bufio.NewScanner(pr)
	url := ""
	for url == "" && sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
	}
	go io.Copy(io.Discard, pr)
	script = strings.ReplaceAll(script, "http://127.0.0.1:8080", url)
	sh := exec.Command("bash", "-euo", "pipefail", "-c", script)
	sh.Dir = dir
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s", err, out)
	}
	for _, want := range []string{`"action":"lookup"`, `"seq":2`, `"action":"ANSWER_SAVED"`, `"next_cursor":null`, `"recorded_at"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("walkthrough output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), `"error"`) {
		t.Errorf("walkthrough output has an error:\n%s", out)
	}
}
