package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackupWhileWriting copies a SQLite database while 16 writers send,
// then verifies the copy and finds in it every event acknowledged before
// the backup began.
func TestBackupWhileWriting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, keyFile := filepath.Join(dir, "live.db"), filepath.Join(dir, "admin-key")
	p := startServe(t, db, keyFile)
	key := readKey(t, keyFile)
	l := startLoad(p.url, key, 16)
	l.waitFor(1000, 30*time.Second)
	before := l.Acked()
	if len(before) < 100 {
		l.Stop()
		t.Fatalf("only %d events acknowledged before the backup", len(before))
	}
	copyPath := filepath.Join(dir, "copy.db")
	out, errOut, err := runCLI(t, "backup", "--db", db, "--out", copyPath)
	n := l.n.Load()
	l.waitFor(n+200, 30*time.Second) // still writing after the backup
	l.Stop()
	if err != nil {
		t.Fatalf("backup: %v\n%s%s", err, out, errOut)
	}
	if wrong := l.Wrong(); len(wrong) > 0 {
		t.Errorf("%d answers broke the contract during the backup, first: %s", len(wrong), wrong[0])
	}
	if fi, err := os.Stat(copyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("copy: %v, mode %v", err, fi.Mode().Perm())
	}
	if out, errOut, err := runCLI(t, "verify", "--db", copyPath); err != nil {
		t.Fatalf("verify the copy: %v\n%s%s", err, out, errOut)
	}
	p.cmd.Process.Kill()
	<-p.done
	// Served from the copy, with the same admin key (it is in the copy).
	// The master key beside the live database is beside the copy too.
	p2 := startServe(t, copyPath, keyFile)
	// Found by id, uuid and filtered list: the copy's derived indexes
	// (or the tail they have not folded) serve them too.
	checkStored(t, p2.url, key, before)
	t.Logf("%d acknowledged before the backup, %d in all", len(before), len(l.Acked()))

	// A second backup to the same file is refused and leaves it alone.
	fi, _ := os.Stat(copyPath)
	if _, _, err := runCLI(t, "backup", "--db", db, "--out", copyPath); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("backup over an existing file: %v, want it refused", err)
	}
	if fi2, _ := os.Stat(copyPath); fi2.Size() != fi.Size() || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Error("the existing file was changed")
	}
	// A symbolic link at --out, dangling or not, is refused, and nothing
	// is written where it points.
	target := filepath.Join(dir, "target")
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "backup", "--db", db, "--out", link); err == nil {
		t.Error("backup through a symbolic link: want it refused")
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Errorf("the link's target was written: %v", err)
	}
	// No temporary directory is left beside the copy.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".auditkeep-backup-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestBackupPostgres: a PostgreSQL database is pointed to pg_dump.
func TestBackupPostgres(t *testing.T) {
	t.Parallel()
	_, _, err := runCLI(t, "backup", "--db", "postgres://127.0.0.1:1/none", "--out", filepath.Join(t.TempDir(), "x"))
	if err == nil || !strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "pg_restore") {
		t.Fatalf("backup of PostgreSQL: %v, want a pointer to pg_dump", err)
	}
}
