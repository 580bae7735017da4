package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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
	if _, err := os.Lstat(out); err == nil {
		return 0, fmt.Errorf("%s already exists (or is a symbolic link): a backup never replaces a file", out)
	}
	// VACUUM INTO opens its target by name, so it writes into a directory
	// of its own (mode 0700: nobody else can plant a link there), and the
	// finished, synced copy gets its name by link(2), which never follows
	// a link and never replaces a file that appeared meanwhile.
	dir, err := os.MkdirTemp(filepath.Dir(out), ".auditkeep-backup-")
	if err != nil {
		return 0, fmt.Errorf("create backup: %w", err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "copy.db")
	f, err := safefile.Create(tmp)
	if err != nil {
		return 0, fmt.Errorf("create backup: %w", err)
	}
	f.Close()
	size, err := vacuumInto(ctx, path, tmp)
	if err != nil {
		return 0, err
	}
	if err := os.Link(tmp, out); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, fmt.Errorf("%s already exists (or is a symbolic link): a backup never replaces a file", out)
		}
		return 0, fmt.Errorf("backup: %w", err)
	}
	// The new name must survive a crash as well as the data.
	if d, err := os.Open(filepath.Dir(out)); err == nil {
		d.Sync()
		d.Close()
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
