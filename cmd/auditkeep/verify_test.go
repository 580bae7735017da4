package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
)

// zeroMaster is the master key apitest servers run with, as a flag.
var zeroMaster = strings.Repeat("00", 32)

// runCLI runs auditkeep in-process and returns what it printed.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, func(string) string { return "" }, &out, &errb)
	return out.String(), errb.String(), err
}

// wantExit1 fails unless err is the exit status 1 of a failed check.
func wantExit1(t *testing.T, what string, err error, out string) {
	t.Helper()
	var code exitCode
	if !errors.As(err, &code) || code != 1 {
		t.Fatalf("%s: %v, want exit status 1\n%s", what, err, out)
	}
}

// ingestN writes n events into tenant through the API.
func ingestN(t *testing.T, s *apitest.Server, tenant uuid.UUID, n int) []event.JSON {
	var evs []map[string]any
	for i := range n {
		evs = append(evs, map[string]any{"tenant": tenant.String(), "action": fmt.Sprintf("act-%d", i),
			"summary": "looked up <CPR> & more", "metadata": map[string]any{"k": fmt.Sprintf("v%d", i)}})
	}
	return s.Ingest(s.AdminKey, evs...)
}

// TestVerifyDatabase: `verify --db` passes on an intact database, fails
// naming the changed event after a change behind the service's back, and
// passes again once it is undone.
func TestVerifyDatabase(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		tn := s.Tenant("shop", "merchant", "shop", uuid.Nil)
		evs := ingestN(t, s, tn.ID, 40)
		if _, err := s.App.Notary.SignLatest(context.Background(), tn.ID); err != nil {
			t.Fatal(err)
		}
		out, _, err := runCLI(t, "verify", "--db", s.DB)
		if err != nil || !strings.Contains(out, "ok      tenant "+tn.ID.String()) || !strings.Contains(out, "OK: 1 tenant(s) verified") {
			t.Fatalf("verify an intact database: %v\n%s", err, out)
		}
		target := evs[7]
		tm := apitest.NewTamperer(t, s.DB)
		if err := tm.Exec(context.Background(), fmt.Sprintf("UPDATE event_log SET action = 'ACT-7' WHERE id = %d", target.ID)); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"verify", "--db", s.DB}, {"verify", "--db", s.DB, "--tenant", "shop"}} {
			out, _, err = runCLI(t, args...)
			wantExit1(t, "verify a changed database", err, out)
			if want := fmt.Sprintf("first mismatch: event id %d (seq 7)", target.ID); !strings.Contains(out, want) {
				t.Fatalf("verify does not name the changed event (%s):\n%s", want, out)
			}
		}
		if err := tm.Exec(context.Background(), fmt.Sprintf("UPDATE event_log SET action = 'act-7' WHERE id = %d", target.ID)); err != nil {
			t.Fatal(err)
		}
		if out, _, err := runCLI(t, "verify", "--db", s.DB, "--tenant", tn.ID.String()); err != nil {
			t.Fatalf("verify after the undo: %v\n%s", err, out)
		}
		_, stranger, _ := ledger.GenerateKey("auditkeep")
		out, _, err = runCLI(t, "verify", "--db", s.DB, "--vkey", stranger)
		wantExit1(t, "verify with another key pinned", err, out)
		if _, _, err := runCLI(t, "verify", "--db", filepath.Join(t.TempDir(), "missing.db")); err == nil {
			t.Error("verify of a missing database file succeeded")
		}
	})
}

// TestExportOffline: an export verifies offline against its checkpoint and
// the published keys, and the route's export is the same bytes; one byte
// changed, a line dropped or a stranger's key make it fail. Rotating the
// key keeps it all verifiable.
func TestExportOffline(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		tn := s.Tenant("shop", "merchant", "shop", uuid.Nil)
		ingestN(t, s, tn.ID, 30)
		dir := t.TempDir()
		exp, cpFile, keys := filepath.Join(dir, "shop.ndjson"), filepath.Join(dir, "cp.txt"), filepath.Join(dir, "keys.txt")
		if _, errOut, err := runCLI(t, "export", "--db", s.DB, "--tenant", "shop", "--out", exp, "--checkpoint-out", cpFile, "--master-key", zeroMaster); err != nil {
			t.Fatalf("export: %v\n%s", err, errOut)
		}
		keyList, _, err := runCLI(t, "ledger", "keys", "--db", s.DB)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keys, []byte(keyList), 0o600); err != nil {
			t.Fatal(err)
		}
		verify := func(export string, keyArgs ...string) (string, error) {
			out, _, err := runCLI(t, append([]string{"verify", "--export", export, "--checkpoint", cpFile}, keyArgs...)...)
			return out, err
		}
		if out, err := verify(exp, "--vkey-file", keys); err != nil || !strings.Contains(out, "30 event(s) verified") {
			t.Fatalf("verify the export: %v\n%s", err, out)
		}

		data, _ := os.ReadFile(exp)
		cp, _ := os.ReadFile(cpFile)
		parsed, err := ledger.ParseCheckpoint(noteText(cp))
		if err != nil || parsed.Size != 30 {
			t.Fatalf("checkpoint %q: %v", cp, err)
		}
		r := s.Do("GET", "/v1/ledger/export?tenant=shop&size=30", s.AdminKey, nil)
		if r.Status != 200 || !bytes.Equal(r.Body, data) {
			t.Errorf("the route's export differs from the command's: %d\n%s", r.Status, r.Body)
		}

		vkey := strings.Fields(strings.Split(keyList, "\n")[1])[0]
		i := bytes.Index(data, []byte(`"act-12"`)) + 5
		for _, tc := range []struct {
			name string
			data []byte
			keys []string
			want string
		}{
			{"one byte of a string", replaceAt(data, i, '9'), []string{"--vkey", vkey}, "root hash differs from checkpoint"},
			{"last line dropped", data[:bytes.LastIndexByte(data[:len(data)-1], '\n')+1], []string{"--vkey", vkey}, "shorter than a checkpoint"},
			{"a stranger's key", data, []string{"--vkey", strangerKey(t)}, "not signed by a trusted key"},
		} {
			path := filepath.Join(dir, "bad.ndjson")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := verify(path, tc.keys...)
			wantExit1(t, tc.name, err, out)
			if !strings.Contains(out, tc.want) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, tc.want, out)
			}
		}

		// Rotation: new checkpoints are signed with the new key; the old
		// export still verifies with the old one; both keys are listed.
		rot, _, err := runCLI(t, "ledger", "rotate-key", "--db", s.DB, "--master-key", zeroMaster, "--json")
		if err != nil || !strings.Contains(rot, `"vkey": "auditkeep+`) {
			t.Fatalf("rotate-key: %v\n%s", err, rot)
		}
		if _, _, err := runCLI(t, "ledger", "rotate-key", "--db", s.DB, "--master-key", strings.Repeat("11", 32)); err == nil {
			t.Error("rotate-key with a wrong master key succeeded")
		}
		ingestN(t, s, tn.ID, 5)
		if _, errOut, err := runCLI(t, "export", "--db", s.DB, "--tenant", tn.ID.String(), "--out", exp, "--force", "--master-key", zeroMaster); err != nil {
			t.Fatalf("export after rotation: %v\n%s", err, errOut)
		}
		keyList, _, _ = runCLI(t, "ledger", "keys", "--db", s.DB)
		os.WriteFile(keys, []byte(keyList), 0o600)
		out, _, err := runCLI(t, "verify", "--export", exp, "--checkpoint", exp+".checkpoint", "--vkey-file", keys)
		if err != nil || !strings.Contains(out, "35 event(s) verified") || strings.Count(keyList, "auditkeep+") != 4 {
			t.Fatalf("verify after rotation: %v\n%s\nkeys:\n%s", err, out, keyList)
		}
		if out, _, err := runCLI(t, "verify", "--db", s.DB); err != nil {
			t.Fatalf("verify the database after rotation: %v\n%s", err, out)
		}
	})
}

func replaceAt(b []byte, i int, c byte) []byte {
	out := bytes.Clone(b)
	out[i] = c
	return out
}

func strangerKey(t *testing.T) string {
	_, vkey, err := ledger.GenerateKey("auditkeep")
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}
