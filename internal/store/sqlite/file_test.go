package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/auditkeep/auditkeep/internal/store/sqlite"
)

// TestFileModes: the database and the -wal and -shm files SQLite makes
// beside it (the index file and its own) are 0600 whatever the umask lets
// through.
func TestFileModes(t *testing.T) {
	// The umask is the process's: not parallel, and set to the usual
	// 022, under which SQLite alone would make 0644 files.
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "modes.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Secret(context.Background(), "x", func() ([]byte, error) { return []byte("y"), nil }); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-index", path + "-index-wal", path + "-index-shm"} {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), perm)
		}
	}
}

// TestSymlinkRefused: a symbolic link planted at the database path, or at
// its -wal or -shm, is refused, and nothing is written where it points.
func TestSymlinkRefused(t *testing.T) {
	t.Parallel()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		t.Run("at"+suffix, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "log.db")
			target := filepath.Join(dir, "elsewhere")
			if err := os.Symlink(target, path+suffix); err != nil {
				t.Fatal(err)
			}
			st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
			if err == nil {
				st.Close()
				t.Fatal("opened through a symbolic link")
			}
			if _, err := os.Lstat(target); !os.IsNotExist(err) {
				t.Fatalf("something was written through the link: %v", err)
			}
		})
	}
}

// TestExistingFileKept: an existing database keeps its mode (the service
// warns; it does not change an operator's file) and its contents.
func TestExistingFileKept(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "kept.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := st.Secret(context.Background(), "s", func() ([]byte, error) { return []byte("first"), nil })
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Secret(context.Background(), "s", func() ([]byte, error) { return []byte("second"), nil })
	if err != nil || string(got) != string(want) {
		t.Fatalf("reopened secret = %q, %v; want %q", got, err, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode changed to %v", fi.Mode().Perm())
	}
}
