package app

import (
	"context"
	"errors"
	"strings"

	"github.com/auditkeep/auditkeep/internal/store/sqlite"
)

// ErrBackupPostgres is Backup's answer for a PostgreSQL database, whose
// own tools do it better than auditkeep could (docs/operations.md).
var ErrBackupPostgres = errors.New("auditkeep backup copies SQLite databases; back up PostgreSQL with its own tools: pg_dump --format=custom --file=auditkeep.dump DBURL, restored with pg_restore --dbname=DBURL auditkeep.dump (docs/operations.md, Backups)")

// Backup writes a consistent online copy of the database db names to the
// new file out, and returns its size.
func Backup(ctx context.Context, db, out string) (int64, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return 0, ErrBackupPostgres
	}
	path := strings.TrimPrefix(db, "sqlite:")
	if path == "" {
		return 0, errors.New("--db: empty SQLite path")
	}
	return sqlite.Backup(ctx, path, out)
}
