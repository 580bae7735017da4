package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/auditkeep/auditkeep/internal/safefile"
)

// Backup writes a consistent copy of the database at path to out, a new
// file (mode 0600; an existing one is refused, never replaced), while the
// database is in use: VACUUM INTO reads one snapshot, so the copy holds
// exactly the transactions committed before it began, every acknowledged
// event of that moment included, and no half of a later group. It reads
// through its own read-only connection, which neither blocks the service's
// writer nor checkpoints its WAL. It returns the size of the copy.
func Backup(ctx context.Context, path, out string) (int64, error) {
	if _, err := safefile.Lcheck(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("no database at %s", path)
		}
		return 0, fmt.Errorf("database: %w", err)
	}
	// Made here, empty, so the copy is private and O_EXCL refuses what is
	// there; VACUUM INTO accepts an empty file.
	f, err := safefile.Create(out)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, fmt.Errorf("%s already exists (or is a symbolic link): a backup never replaces a file", out)
		}
		return 0, fmt.Errorf("create backup: %w", err)
	}
	f.Close()
	size, err := vacuumInto(ctx, path, out)
	if err != nil {
		os.Remove(out)
		return 0, err
	}
	return size, nil
}

func vacuumInto(ctx context.Context, path, out string) (int64, error) {
	db, err := sql.Open("sqlite", dsn(path, "deferred", []string{fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds())})+"&mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", out); err != nil {
		return 0, fmt.Errorf("backup: %w", translate(err))
	}
	// SQLite does not fsync what VACUUM INTO writes.
	f, err := os.OpenFile(out, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return fi.Size(), nil
}
