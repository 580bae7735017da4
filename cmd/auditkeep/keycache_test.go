package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
)

// TestKeyRevocationReachesEveryNode runs two serve processes on one
// PostgreSQL database: a key revoked through one is refused by the other
// soon after (LISTEN/NOTIFY), and when the other loses its listening
// connection it stops trusting its cache, so even a revocation that sends
// no notification is seen.
func TestKeyRevocationReachesEveryNode(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	master := []string{"--master-key", strings.Repeat("ab", 32), "--key-cache-ttl", "1h"}
	a := startServe(t, db, filepath.Join(dir, "admin-key"), master...)
	admin := readKey(t, filepath.Join(dir, "admin-key"))
	b := startServe(t, db, filepath.Join(dir, "admin-key-b"), master...)

	newKey := func() (id, secret string) {
		t.Helper()
		r := call(t, "POST", a.url+"/v1/admin/keys", admin, `{"scopes":["events:read"]}`)
		var k struct{ ID, Key string }
		if r.status != 201 && r.status != 200 {
			t.Fatalf("create key: %d %s", r.status, r.body)
		}
		if err := json.Unmarshal([]byte(r.body), &k); err != nil {
			t.Fatal(err)
		}
		return k.ID, k.Key
	}
	refusedBy := func(p *proc, secret string) bool {
		return call(t, "GET", p.url+"/v1/events?limit=1", secret, "").status == 401
	}
	// eventually polls until b refuses the key; the deadline is generous
	// for a shared machine, the design target is one second.
	eventually := func(what, secret string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !refusedBy(b, secret) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the second node still accepts the key", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	warm := func(secret string) {
		t.Helper()
		for _, p := range []*proc{a, b} {
			for range 3 {
				if r := call(t, "GET", p.url+"/v1/events?limit=1", secret, ""); r.status != 200 {
					t.Fatalf("new key: %d %s", r.status, r.body)
				}
			}
		}
	}

	id, secret := newKey()
	warm(secret)
	if r := call(t, "DELETE", a.url+"/v1/admin/keys/"+id, admin, ""); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if !refusedBy(a, secret) {
		t.Fatal("the node that revoked the key still accepts it")
	}
	eventually("revoked through the other node", secret)

	// Cut b's listener and revoke behind every node's back (plain SQL, no
	// notification): b must not go on trusting what it cached.
	_, secret2 := newKey()
	warm(secret2)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tag, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'auditkeep key listener'`)
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() != 2 {
		t.Fatalf("terminated %d listeners, want 2 (one per node)", tag.RowsAffected())
	}
	if _, err := conn.Exec(ctx, `UPDATE api_keys SET revoked_at = now() WHERE hash = sha256($1)`, []byte(secret2)); err != nil {
		t.Fatal(err)
	}
	eventually("revoked while the listener was cut", secret2)
}

type response struct {
	status int
	body   string
}

func call(t *testing.T, method, url, key, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, string(b)}
}
