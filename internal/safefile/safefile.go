package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Mode is the mode of every file this package creates.
const Mode fs.FileMode = 0o600

// ErrNotRegular is returned for a path that is a symbolic link, a
// directory or a device instead of a plain file.
var ErrNotRegular = errors.New("not a regular file (a symbolic link is refused)")

// Create creates path for writing, mode 0600. It fails with an error
// matching fs.ErrExist when anything, a symbolic link included, is there.
func Create(path string) (*os.File, error) {
	// O_EXCL alone already refuses a symbolic link in the last component
	// (even a dangling one); noFollow says so to the kernel twice.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, Mode)
	if err != nil {
		return nil, err
	}
	// The umask can only take bits away from 0600, but a file system that
	// ignores the create mode (some FUSE and network mounts) does not.
	if err := f.Chmod(Mode); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// WriteNew writes data to a new file at path (see Create), synced before
// it returns. A file that could not be written whole is removed.
func WriteNew(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// maxRead bounds ReadFile: the files it reads are keys of a few dozen bytes.
const maxRead = 64 << 10

// ReadFile reads a small regular file, refusing a symbolic link.
func ReadFile(path string) ([]byte, error) {
	if _, err := Lcheck(path); err != nil {
		return nil, err
	}
	// Opened without following, too, so a link swapped in after the check
	// is refused as well.
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		if isLoop(err) {
			return nil, &fs.PathError{Op: "open", Path: path, Err: ErrNotRegular}
		}
		return nil, err
	}
	defer f.Close()
	if err := CheckRegular(f); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxRead+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxRead {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxRead)
	}
	return b, nil
}

// CheckRegular returns ErrNotRegular unless f is a plain file.
func CheckRegular(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "open", Path: f.Name(), Err: ErrNotRegular}
	}
	return nil
}

// Lcheck returns ErrNotRegular when path exists and is not a plain file
// (without following a symbolic link), and fs.ErrNotExist when nothing is
// there.
func Lcheck(path string) (fs.FileInfo, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrNotRegular}
	}
	return fi, nil
}
