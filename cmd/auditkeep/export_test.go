package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
)

// TestExportFiles: an export and its checkpoint are private files, made
// new: an existing file is refused and left as it was (unless --force,
// which replaces it whole), and a symbolic link is refused either way, its
// target untouched.
func TestExportFiles(t *testing.T) {
	s := apitest.New(t, "sqlite")
	tn := s.Tenant("shop", "merchant", "shop", uuid.Nil)
	ingestN(t, s, tn.ID, 5)
	export := func(args ...string) (string, error) {
		_, errOut, err := runCLI(t, append([]string{"export", "--db", s.DB, "--tenant", "shop", "--master-key", zeroMaster}, args...)...)
		return errOut, err
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "shop.ndjson")
	if errOut, err := export("--out", out); err != nil {
		t.Fatalf("export: %v\n%s", err, errOut)
	}
	for _, p := range []string{out, out + ".checkpoint"} {
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v, want 0600", p, err, fi.Mode().Perm())
		}
	}
	first, _ := os.ReadFile(out)
	if strings.Count(string(first), "\n") != 5 {
		t.Fatalf("export holds %q", first)
	}

	// An existing file is refused and unchanged; a taken checkpoint name
	// is refused before the export is written.
	old := []byte("an earlier export\n")
	taken := filepath.Join(dir, "taken.ndjson")
	fresh := filepath.Join(dir, "fresh.ndjson")
	for _, p := range []string{taken, taken + ".checkpoint"} {
		if err := os.WriteFile(p, old, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, flag string
		args       []string
	}{
		{"--out exists", "--out", []string{"--out", taken, "--checkpoint-out", filepath.Join(dir, "cp1")}},
		{"--checkpoint-out exists", "--checkpoint-out", []string{"--out", fresh, "--checkpoint-out", taken}},
	} {
		_, err := export(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.flag+" ") || !strings.Contains(err.Error(), "--force") {
			t.Errorf("%s: %v, want a refusal naming %s and --force", tc.name, err, tc.flag)
		}
	}
	for _, p := range []string{taken, taken + ".checkpoint"} {
		if b, _ := os.ReadFile(p); string(b) != string(old) {
			t.Errorf("refused export changed %s to %q", p, b)
		}
	}
	for _, p := range []string{fresh, filepath.Join(dir, "cp1")} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("refused export left %s behind", p)
		}
	}

	// --force replaces both files whole, and makes them private.
	if errOut, err := export("--out", taken, "--force"); err != nil {
		t.Fatalf("export --force: %v\n%s", err, errOut)
	}
	if b, _ := os.ReadFile(taken); string(b) != string(first) {
		t.Errorf("export --force wrote %q, want the export", b)
	}
	for _, p := range []string{taken, taken + ".checkpoint"} {
		if fi, _ := os.Lstat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s after --force: mode %v, want 0600", p, fi.Mode().Perm())
		}
	}

	// A symbolic link is refused, --force or not, and what it points at
	// is not written.
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, old, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.ndjson")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.ndjson")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--out", link, "--checkpoint-out", filepath.Join(dir, "cp2")},
		{"--out", link, "--checkpoint-out", filepath.Join(dir, "cp2"), "--force"},
		{"--out", dangling, "--checkpoint-out", filepath.Join(dir, "cp2")},
		{"--out", filepath.Join(dir, "other.ndjson"), "--checkpoint-out", link, "--force"},
	} {
		if _, err := export(args...); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("export %q: %v, want a refusal of the link", args, err)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != string(old) {
		t.Errorf("written through a link: target holds %q", b)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); !os.IsNotExist(err) {
		t.Error("written through a dangling link")
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
	for _, p := range []string{filepath.Join(dir, "cp2"), filepath.Join(dir, "other.ndjson")} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("refused export left %s behind", p)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
