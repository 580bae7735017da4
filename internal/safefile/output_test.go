package safefile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/auditkeep/auditkeep/internal/safefile"
)

func write(t *testing.T, path string, replace bool, data string) error {
	t.Helper()
	o, err := safefile.NewOutput(path, replace)
	if err != nil {
		return err
	}
	defer o.Abort()
	if _, err := o.WriteString(data); err != nil {
		t.Fatal(err)
	}
	return o.Commit()
}

func TestOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "export.ndjson")
	if err := write(t, path, false, "one"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(path); fi.Mode().Perm() != safefile.Mode {
		t.Errorf("mode %v, want %v", fi.Mode().Perm(), safefile.Mode)
	}
	if err := write(t, path, false, "two"); !errors.Is(err, safefile.ErrExists) || !errors.Is(err, fs.ErrExist) {
		t.Errorf("second output = %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one" {
		t.Errorf("refused output changed the file to %q", b)
	}

	// Replacing: the new file is private even when the old one was not.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := write(t, path, true, "three"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "three" {
		t.Errorf("replaced file holds %q", b)
	}
	if fi, _ := os.Lstat(path); fi.Mode().Perm() != safefile.Mode {
		t.Errorf("replaced file's mode %v, want %v", fi.Mode().Perm(), safefile.Mode)
	}
	if err := write(t, filepath.Join(dir, "new"), true, "four"); err != nil {
		t.Errorf("replace with nothing there: %v", err)
	}

	// A link is refused, replacing or not, and its target is untouched.
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("target"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := write(t, link, false, "x"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("output on a link = %v, want ErrExist", err)
	}
	if err := write(t, link, true, "x"); !errors.Is(err, safefile.ErrNotRegular) {
		t.Errorf("replacing a link = %v, want ErrNotRegular", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "target" {
		t.Errorf("written through a link: target holds %q", b)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := write(t, dangling, false, "x"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("output on a dangling link = %v, want ErrExist", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); !os.IsNotExist(err) {
		t.Error("written through a dangling link")
	}

	// Abort leaves nothing: no half file, no temporary file.
	for _, replace := range []bool{false, true} {
		p := filepath.Join(dir, "aborted")
		o, err := safefile.NewOutput(p, replace)
		if err != nil {
			t.Fatal(err)
		}
		o.WriteString("half")
		o.Abort()
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("replace=%v: an aborted output left %s", replace, p)
		}
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{"dangling", "export.ndjson", "link", "new", "target"}
	if len(names) != len(want) {
		t.Errorf("directory holds %v, want %v (no temporary files)", names, want)
	}
}
