package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveOnce runs serve in-process until it listens (check runs then,
// while the files are open), stops it, and returns stdout, stderr and
// what serve returned.
func serveOnce(t *testing.T, check func(), args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, &out, &errb)
	}()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(errb.String(), "msg=listening") {
		select {
		case err := <-done:
			return out.String(), errb.String(), err
		case <-deadline:
			t.Fatalf("serve did not start:\n%s", errb.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if check != nil {
		check()
	}
	cancel()
	err := <-done
	return out.String(), errb.String(), err
}

// TestServeFileModes: on first start, the database, its -wal and -shm, the
// admin key and the master key are all 0600 under the usual umask.
func TestServeFileModes(t *testing.T) {
	old := syscall.Umask(0o022) // process-wide: this test is not parallel
	defer syscall.Umask(old)
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	check := func() {
		for _, name := range []string{"a.db", "a.db-wal", "a.db-shm", "auditkeep.admin-key", "auditkeep.master-key"} {
			fi, err := os.Lstat(filepath.Join(dir, name))
			if err != nil {
				t.Error(err)
				continue
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("%s: mode %v, want 0600", name, perm)
			}
		}
	}
	if _, errOut, err := serveOnce(t, check, "--db", db); err != nil {
		t.Fatalf("serve: %v\n%s", err, errOut)
	}
	// Made private by auditkeep, the files draw no warning on the next start.
	if _, errOut, err := serveOnce(t, nil, "--db", db); err != nil || strings.Contains(errOut, "level=WARN") {
		t.Fatalf("second start: %v\n%s", err, errOut)
	}
	// An operator's copy readable by the group does.
	if err := os.Chmod(db, 0o640); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := serveOnce(t, nil, "--db", db)
	if err != nil || !strings.Contains(errOut, "level=WARN") || !strings.Contains(errOut, "chmod 600") || !strings.Contains(errOut, "mode=-rw-r-----") {
		t.Fatalf("group-readable database: want a warning; %v\n%s", err, errOut)
	}
}

// TestServeKeyFilesNotReplaced: a bootstrap admin key file or master key
// file already there is not overwritten, and a symbolic link planted at
// either path is not written through.
func TestServeKeyFilesNotReplaced(t *testing.T) {
	t.Parallel()
	t.Run("admin key exists", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		keyFile := filepath.Join(dir, "admin-key")
		if err := os.WriteFile(keyFile, []byte("someone else's\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, errOut, err := serveOnce(t, nil, "--db", filepath.Join(dir, "a.db"), "--admin-key-file", keyFile)
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, errOut)
		}
		if b, _ := os.ReadFile(keyFile); string(b) != "someone else's\n" {
			t.Errorf("admin key file replaced: %q", b)
		}
		if !strings.Contains(out, "NOT saved") || !strings.Contains(out, "ak_") || !strings.Contains(errOut, "level=WARN") {
			t.Errorf("want the key shown, not saved, and a warning:\n%s\n%s", out, errOut)
		}
	})
	t.Run("admin key symlink", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		keyFile, target := filepath.Join(dir, "admin-key"), filepath.Join(dir, "elsewhere")
		if err := os.Symlink(target, keyFile); err != nil {
			t.Fatal(err)
		}
		if _, errOut, err := serveOnce(t, nil, "--db", filepath.Join(dir, "a.db"), "--admin-key-file", keyFile); err != nil {
			t.Fatalf("serve: %v\n%s", err, errOut)
		}
		if _, err := os.Lstat(target); !os.IsNotExist(err) {
			t.Errorf("the admin key was written through a symbolic link: %v", err)
		}
	})
	t.Run("master key symlink", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		target := filepath.Join(dir, "elsewhere")
		if err := os.Symlink(target, filepath.Join(dir, "auditkeep.master-key")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := serveOnce(t, nil, "--db", filepath.Join(dir, "a.db")); err == nil {
			t.Error("serve started with a symbolic link for its master key")
		}
		if _, err := os.Lstat(target); !os.IsNotExist(err) {
			t.Errorf("the master key was written through a symbolic link: %v", err)
		}
	})
	t.Run("database symlink", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		target := filepath.Join(dir, "elsewhere.db")
		if err := os.Symlink(target, filepath.Join(dir, "a.db")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := serveOnce(t, nil, "--db", filepath.Join(dir, "a.db")); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("serve on a symbolic link: %v, want it refused", err)
		}
		if _, err := os.Lstat(target); !os.IsNotExist(err) {
			t.Errorf("the database was created through a symbolic link: %v", err)
		}
	})
}
