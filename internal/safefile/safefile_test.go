package safefile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/auditkeep/auditkeep/internal/safefile"
)

func TestWriteNewAndRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if err := safefile.WriteNew(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(path); fi.Mode().Perm() != safefile.Mode {
		t.Errorf("mode %v, want %v", fi.Mode().Perm(), safefile.Mode)
	}
	if err := safefile.WriteNew(path, []byte("two")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second WriteNew = %v, want ErrExist", err)
	}
	if b, err := safefile.ReadFile(path); err != nil || string(b) != "one" {
		t.Errorf("ReadFile = %q, %v; want the first contents", b, err)
	}

	link := filepath.Join(dir, "link")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if _, err := safefile.ReadFile(link); !errors.Is(err, safefile.ErrNotRegular) {
		t.Errorf("ReadFile through a link = %v, want ErrNotRegular", err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := safefile.WriteNew(dangling, []byte("x")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteNew on a dangling link = %v, want ErrExist", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); !os.IsNotExist(err) {
		t.Error("written through a dangling link")
	}
	if _, err := safefile.ReadFile(dir); !errors.Is(err, safefile.ErrNotRegular) {
		t.Errorf("ReadFile of a directory = %v, want ErrNotRegular", err)
	}
}
