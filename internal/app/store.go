package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/postgres"
	"github.com/auditkeep/auditkeep/internal/store/sqlite"
)

// StoreOptions are the engine-independent store settings.
type StoreOptions struct {
	NoLedger bool
}

// OpenStore opens the database a --db value names: postgres://… or
// postgresql://… for PostgreSQL, sqlite:PATH or a plain path for SQLite.
func OpenStore(ctx context.Context, db string, o StoreOptions) (store.Store, error) {
	switch {
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		st, err := postgres.Open(ctx, db, postgres.Options{NoLedger: o.NoLedger})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		return st, nil
	default:
		path := strings.TrimPrefix(db, "sqlite:")
		if path == "" {
			return nil, fmt.Errorf("--db: empty SQLite path")
		}
		st, err := sqlite.Open(ctx, path, sqlite.Options{NoLedger: o.NoLedger})
		if err != nil {
			return nil, fmt.Errorf("open SQLite %s: %w", path, err)
		}
		return st, nil
	}
}

// DataDir is where files that belong with the database go (the bootstrap
// admin key): beside a SQLite file, else the working directory.
func DataDir(db string) string {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return "."
	}
	return filepath.Dir(strings.TrimPrefix(db, "sqlite:"))
}
