package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/ledger"
)

// forger stands between the monitor and the service and, when told to,
// answers with a forged checkpoint or proof.
type forger struct {
	proxy      *httputil.ReverseProxy
	checkpoint []byte                   // served for GET /v1/ledger/checkpoint when set
	proof      func(body []byte) []byte // rewrites consistency proofs when set
}

func (f *forger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case f.checkpoint != nil && r.URL.Path == "/v1/ledger/checkpoint":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(f.checkpoint)
	case f.proof != nil && r.URL.Path == "/v1/ledger/proof/consistency":
		rec := httptest.NewRecorder()
		f.proxy.ServeHTTP(rec, r)
		w.WriteHeader(rec.Code)
		w.Write(f.proof(rec.Body.Bytes()))
	default:
		f.proxy.ServeHTTP(w, r)
	}
}

// TestVerifyWatch: the monitor accepts a growing log round after round,
// and raises an alarm (exit status 1) for a checkpoint signed by another
// key, a log that shrank, two roots for one size, a root its proof
// contradicts and a tampered proof.
func TestVerifyWatch(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		// The test holds the service's signing key, to forge checkpoints
		// a monitor cannot tell from real ones by signature alone.
		skey, vkey, err := ledger.GenerateKey(ledger.DefaultLogName)
		if err != nil {
			t.Fatal(err)
		}
		s := apitest.New(t, engine, func(c *app.Config) { c.SignerKey = skey })
		key := s.Key(s.Root.ID, "events:read")
		dir := t.TempDir()
		state := filepath.Join(dir, "state")
		watch := func(base, state string, extra ...string) (string, string, error) {
			return runCLI(t, append([]string{"verify", "--watch", base, "--key", key, "--once", "--state", state}, extra...)...)
		}

		ingestN(t, s, s.Root.ID, 10)
		if out, errOut, err := watch(s.URL, state, "--vkey", vkey); err != nil || !strings.Contains(out, "size 10 ") || !strings.Contains(out, "first checkpoint seen") {
			t.Fatalf("first round: %v\n%s%s", err, out, errOut)
		}
		ingestN(t, s, s.Root.ID, 7)
		if out, errOut, err := watch(s.URL, state, "--vkey", vkey); err != nil || !strings.Contains(out, "size 17 ") || !strings.Contains(out, "extends size 10") {
			t.Fatalf("second round: %v\n%s%s", err, out, errOut)
		}
		// Unpinned, it trusts the published keys, and says so.
		if out, errOut, err := watch(s.URL, state); err != nil || !strings.Contains(errOut, "pin the keys") {
			t.Fatalf("unpinned round: %v\n%s%s", err, out, errOut)
		}
		good, _ := os.ReadFile(state)
		last, _ := ledger.ParseCheckpoint(noteText(good))

		ingestN(t, s, s.Root.ID, 3) // the service's log is now 20 long
		real20 := s.Do("GET", "/v1/ledger/checkpoint", key, nil).Body
		real10 := s.Do("GET", "/v1/ledger/checkpoints?size=10", key, nil).Body
		signed := func(signer string, size int64, root tlog.Hash) []byte {
			k, err := ledger.NewKeyring(signer)
			if err != nil {
				t.Fatal(err)
			}
			note, err := k.Sign(ledger.Checkpoint{Origin: last.Origin, Size: size, Root: root, Time: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return note
		}
		var randomRoot tlog.Hash
		rand.Read(randomRoot[:])
		stranger, _, _ := ledger.GenerateKey(ledger.DefaultLogName)
		target, _ := url.Parse(s.URL)
		for _, tc := range []struct {
			name       string
			checkpoint []byte
			proof      func([]byte) []byte
			want       string
		}{
			{"signed by another key", signed(stranger, 20, randomRoot), nil, "not genuine"},
			{"the log shrank", real10, nil, "shrank from 17 to 10"},
			{"two roots for one size", signed(skey, 17, randomRoot), nil, "two signed roots for size 17"},
			{"a root its proof contradicts", signed(skey, 20, randomRoot), nil, "does not extend"},
			{"a tampered proof", real20, flipProof, "does not extend"},
			{"another root for the old size", real20, swapFromRoot, "another root for size 17"},
		} {
			f := &forger{proxy: httputil.NewSingleHostReverseProxy(target), checkpoint: tc.checkpoint, proof: tc.proof}
			ps := httptest.NewServer(f)
			st := filepath.Join(dir, "state-"+strings.ReplaceAll(tc.name, " ", "-"))
			os.WriteFile(st, good, 0o644)
			out, errOut, err := watch(ps.URL, st, "--vkey", vkey)
			ps.Close()
			wantExit1(t, tc.name, err, out+errOut)
			if !strings.Contains(errOut, "ALARM") || !strings.Contains(errOut, tc.want) {
				t.Errorf("%s: stderr lacks an alarm with %q:\n%s", tc.name, tc.want, errOut)
			}
			if after, _ := os.ReadFile(st); string(after) != string(good) {
				t.Errorf("%s: the state moved to the offending checkpoint", tc.name)
			}
		}

		// Without --once it keeps watching until stopped, and stops at the
		// first alarm.
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		var out, errb strings.Builder
		err = run(ctx, []string{"verify", "--watch", s.URL, "--key", key, "--vkey", vkey, "--interval", "20ms"}, func(string) string { return "" }, &out, &errb)
		if err != nil || strings.Count(out.String(), "ok ") < 2 {
			t.Fatalf("watching: %v\n%s%s", err, out.String(), errb.String())
		}
		f := &forger{proxy: httputil.NewSingleHostReverseProxy(target), checkpoint: real10}
		ps := httptest.NewServer(f)
		defer ps.Close()
		st := filepath.Join(dir, "state-loop")
		os.WriteFile(st, real20, 0o644)
		ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel2()
		out.Reset()
		errb.Reset()
		err = run(ctx2, []string{"verify", "--watch", ps.URL, "--key", key, "--vkey", vkey, "--interval", "20ms", "--state", st}, func(string) string { return "" }, &out, &errb)
		wantExit1(t, "watching a forger", err, errb.String())
	})
}

// flipProof changes one hash of a consistency proof.
func flipProof(body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	if p, _ := m["proof"].([]any); len(p) > 0 {
		p[0] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	}
	b, _ := json.Marshal(m)
	return b
}

// swapFromRoot states another root for the older checkpoint.
func swapFromRoot(body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	m["from_root"] = m["to_root"]
	b, _ := json.Marshal(m)
	return b
}

// TestVerifyWatchStateFile: the monitor's state is replaced whole each
// round, mode 0600, and never written through a symbolic link (its target
// is left alone, the round fails naming --state).
func TestVerifyWatchStateFile(t *testing.T) {
	s := apitest.New(t, "sqlite")
	key := s.Key(s.Root.ID, "events:read")
	ingestN(t, s, s.Root.ID, 4)
	dir := t.TempDir()
	watch := func(state string) (string, error) {
		_, errOut, err := runCLI(t, "verify", "--watch", s.URL, "--key", key, "--once", "--state", state)
		return errOut, err
	}
	state := filepath.Join(dir, "state")
	if errOut, err := watch(state); err != nil {
		t.Fatalf("round: %v\n%s", err, errOut)
	}
	if errOut, err := watch(state); err != nil {
		t.Fatalf("round resumed from the state: %v\n%s", err, errOut)
	}
	if fi, err := os.Lstat(state); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(state); !strings.Contains(string(b), "\n4\n") {
		t.Errorf("state holds %q, want the checkpoint of size 4", b)
	}

	target := filepath.Join(dir, "target")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := watch(link); err == nil || !strings.Contains(err.Error(), "--state") {
		t.Errorf("state through a dangling link: %v, want a refusal naming --state", err)
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Error("the state was written through a symbolic link")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("directory holds %d entries, want the state and the link (no temporary files)", len(ents))
	}
}
