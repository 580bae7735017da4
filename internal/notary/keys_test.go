package notary_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/auditkeep/auditkeep/internal/notary"
)

// TestMasterKeyFileSymlink: a symbolic link planted where the master key
// goes is refused, dangling (the key would be written wherever it points)
// or not (a key read from elsewhere), and nothing is written through it.
func TestMasterKeyFileSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	elsewhere := filepath.Join(dir, "elsewhere")
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(elsewhere, dangling); err != nil {
		t.Fatal(err)
	}
	if _, err := notary.LoadOrCreateMasterKey(dangling); err == nil {
		t.Fatal("a dangling symbolic link was accepted")
	}
	if _, err := os.Lstat(elsewhere); !os.IsNotExist(err) {
		t.Fatalf("a key was written through the link: %v", err)
	}

	real := filepath.Join(dir, "real")
	if _, err := notary.LoadOrCreateMasterKey(real); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if _, err := notary.LoadOrCreateMasterKey(link); err == nil {
		t.Fatal("a key was read through a symbolic link")
	}
}

// TestMasterKeyFileKept: an existing file is read, never replaced, even
// when what it holds is not a key.
func TestMasterKeyFileKept(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master-key")
	junk := []byte("not a key\n")
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := notary.LoadOrCreateMasterKey(path); err == nil {
		t.Fatal("a file that holds no key was accepted")
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, junk) {
		t.Fatalf("the file was replaced: %q", b)
	}
}
