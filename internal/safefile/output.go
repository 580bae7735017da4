package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Output is a file being written for the operator (an export, its
// checkpoint, a monitor's state): mode 0600, never through a symbolic
// link, and, unless it may replace what is there, never over an existing
// file. Write to it, then Commit; Abort (safe after Commit) removes what a
// failed run wrote, so a failure never leaves half a file under the name.
type Output struct {
	*os.File
	path string
	// tmp is the file written when replacing, renamed over path by Commit.
	tmp  string
	done bool
}

// ErrExists is the error of NewOutput for a path already taken.
var ErrExists = errors.New("already exists")

// NewOutput creates the output file at path. Without replace, anything at
// path, a symbolic link included, is refused with an error matching
// ErrExists and fs.ErrExist, and the file is written in place. With
// replace, an existing regular file is replaced whole when Commit renames
// a new file over it: readers see the old file or the new one, and the
// rename replaces a link planted meanwhile rather than writing through
// it. A symbolic link, directory or device at path is refused either way
// (ErrNotRegular).
func NewOutput(path string, replace bool) (*Output, error) {
	if !replace {
		f, err := Create(path)
		if errors.Is(err, fs.ErrExist) {
			return nil, &fs.PathError{Op: "create", Path: path, Err: existsError{}}
		}
		if err != nil {
			return nil, err
		}
		return &Output{File: f, path: path}, nil
	}
	if _, err := Lcheck(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	// CreateTemp asks for 0600, which a file system that ignores the
	// create mode does not give.
	if err := f.Chmod(Mode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &Output{File: f, path: path, tmp: f.Name()}, nil
}

// existsError matches both ErrExists and fs.ErrExist.
type existsError struct{}

func (existsError) Error() string { return "already exists (or is a symbolic link)" }

func (existsError) Is(target error) bool { return target == ErrExists || target == fs.ErrExist }

// Commit syncs and closes the file and, when replacing, renames it over
// the path.
func (o *Output) Commit() error {
	err := o.Sync()
	if cerr := o.Close(); err == nil {
		err = cerr
	}
	if err == nil && o.tmp != "" {
		err = os.Rename(o.tmp, o.path)
	}
	if err != nil {
		o.Abort()
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	o.done = true
	return nil
}

// Abort closes and removes what was written, unless Commit succeeded.
func (o *Output) Abort() {
	if o.done {
		return
	}
	o.done = true
	o.Close()
	if o.tmp != "" {
		os.Remove(o.tmp)
	} else {
		os.Remove(o.path)
	}
}
