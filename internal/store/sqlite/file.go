package sqlite

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/auditkeep/auditkeep/internal/safefile"
)

// createFile makes the database file itself, empty and mode 0600, before
// SQLite opens it: SQLite would create it with 0644 less the umask, and it
// gives the -wal and -shm files it makes later the main file's mode, so
// this one decision keeps all three private. It refuses a symbolic link at
// any of the three paths, which would send the log or its journal to
// wherever the link points. An existing database is left as it is
// (`auditkeep serve` warns when others may read it).
func createFile(path string) error {
	f, err := safefile.Create(path)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return fmt.Errorf("create database file: %w", err)
		}
	case errors.Is(err, fs.ErrExist):
		if _, err := safefile.Lcheck(path); err != nil {
			return fmt.Errorf("database file: %w", err)
		}
	default:
		return fmt.Errorf("create database file: %w", err)
	}
	for _, side := range []string{path + "-wal", path + "-shm"} {
		if _, err := safefile.Lcheck(side); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("database file: %w", err)
		}
	}
	return nil
}
