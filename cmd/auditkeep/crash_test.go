package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/apitest"
)

// testMasterKey keeps PostgreSQL servers from making auditkeep.master-key
// in the package directory (their data directory is the working one).
var testMasterKey = []string{"--master-key", strings.Repeat("5a", 32)}

// TestCrashPostgresRepeated kills the PostgreSQL-backed server with SIGKILL
// three times while 16 writers send, restarting it each time; the writers
// retry every unacknowledged request with its idempotency keys. Every
// acknowledged event is then stored exactly once, found by id, by uuid and
// by a filtered list, and the ledger verifies.
func TestCrashPostgresRepeated(t *testing.T) {
	t.Parallel()
	db := apitest.DB(t, "postgres")
	keyFile := filepath.Join(t.TempDir(), "admin-key")
	p := startServe(t, db, keyFile, testMasterKey...)
	key := readKey(t, keyFile)
	l := startLoad(p.url, key, 16)
	const kills = 3
	for i := range kills {
		l.waitFor(l.n.Load()+500, 30*time.Second)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		p = startServe(t, db, keyFile, testMasterKey...)
		l.setURL(p.url)
		t.Logf("kill %d: %d events acknowledged so far", i+1, l.n.Load())
	}
	// Acknowledgements resume after the last restart.
	n := l.n.Load()
	l.waitFor(n+300, 30*time.Second)
	l.Stop()
	if l.n.Load() < n+300 {
		t.Fatalf("writes did not resume after the last restart: %d acknowledged, %d before it", l.n.Load(), n)
	}
	if wrong := l.Wrong(); len(wrong) > 0 {
		t.Errorf("%d answers broke the contract, first: %s", len(wrong), wrong[0])
	}
	t.Logf("answers by status: %v", l.Statuses())
	checkStored(t, p.url, key, l.Acked())
	if out, errOut, err := runCLI(t, "verify", "--db", db); err != nil {
		t.Fatalf("verify after %d kills: %v\n%s%s", kills, err, out, errOut)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.done; err != nil {
		t.Errorf("SIGTERM exit: %v\n%s", err, p.stderr)
	}
}
