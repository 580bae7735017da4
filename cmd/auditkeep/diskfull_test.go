package main

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// mountSmallFS mounts a tmpfs of size at a new directory, unmounted when
// the test ends, or skips the test where the machine does not allow it.
func mountSmallFS(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("disk-full test skipped: mounting a size-limited tmpfs needs root")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("disk-full test skipped: cannot mount a size-limited tmpfs here (%v: %s)", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes path until the file system is full.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	var n int64
	for {
		m, err := f.Write(chunk)
		n += int64(m)
		if errors.Is(err, syscall.ENOSPC) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestDiskFull runs SQLite on a 32 MiB file system (room for the log, its
// WAL and a restart once the filler is gone), fills it while 16
// writers send, and shows that ingest answers 503 (or 507) with
// Retry-After and no false acknowledgement, that nothing acknowledged is
// lost, and that the service recovers by itself once space returns.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	dir := mountSmallFS(t, "32m")
	db, keyFile := filepath.Join(dir, "auditkeep.db"), filepath.Join(dir, "admin-key")
	p := startServe(t, db, keyFile)
	key := readKey(t, keyFile)
	l := startLoad(p.url, key, 16)
	l.waitFor(300, 30*time.Second)

	filler := filepath.Join(dir, "filler")
	filled := fill(t, filler)
	full := func() int {
		s := l.Statuses()
		return s[http.StatusServiceUnavailable] + s[http.StatusInsufficientStorage]
	}
	before := full()
	deadline := time.Now().Add(30 * time.Second)
	for full()-before < 20 && time.Now().Before(deadline) {
		// The WAL may still have room for a while: keep the disk full.
		fill(t, filler+".more")
		os.Remove(filler + ".more")
		time.Sleep(20 * time.Millisecond)
	}
	refused := full() - before
	t.Logf("filled %d bytes; ingest refused %d times", filled, refused)
	if refused < 20 {
		t.Fatalf("the full disk was not seen: %d refusals, statuses %v", refused, l.Statuses())
	}

	// Space returns: the service recovers by itself.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	n := l.n.Load()
	l.waitFor(n+300, 30*time.Second)
	l.Stop()
	if l.n.Load() < n+300 {
		t.Fatalf("ingest did not recover after space returned: %d acknowledged since; statuses %v\n%s", l.n.Load()-n, l.Statuses(), p.stderr)
	}
	t.Logf("ingest answers: %v", l.Statuses())
	if wrong := l.Wrong(); len(wrong) > 0 {
		t.Errorf("%d answers broke the contract, first: %s", len(wrong), wrong[0])
	}
	checkStored(t, p.url, key, l.Acked())
	if out, errOut, err := runCLI(t, "verify", "--db", db); err != nil {
		t.Fatalf("verify after the disk was full: %v\n%s%s", err, out, errOut)
	}
	// And after a restart too.
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.done; err != nil {
		t.Errorf("SIGTERM exit: %v\n%s", err, p.stderr)
	}
	p = startServe(t, db, keyFile)
	checkStored(t, p.url, key, l.Acked())
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
}
