package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	_ "embed"
	"fmt"

	sqlite "modernc.org/sqlite"
)

// The derived tables live in a file of their own beside the log, the
// index file (PATH-index): the indexer writes it on its own connection, so
// an index batch never holds the log's write lock, which group commits
// wait for, and never delays an acknowledgement. It is rebuildable, so it
// is written with synchronous(NORMAL): after a power loss it may lose its
// last batches, never its consistency, and the indexer folds them again.
// Reader connections attach it as "idx", the indexer's connection attaches
// the log as "log"; the table names differ between the files, so queries
// name tables without a schema.

//go:embed index_schema.sql
var indexSchema string

// indexSchemaVersion is index_schema.sql's version; a file of another
// version is emptied and rebuilt from the log.
const indexSchemaVersion = 1

// connector opens connections of one driver instance, whose hook attaches
// the other file to each new connection before any statement runs.
type connector struct {
	drv *sqlite.Driver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }

// openAttaching opens dsn with file attached as schema name as, and sets
// the attached file's own pragmas (a DSN's apply to the main file only).
func openAttaching(dsn, file, as string, pragmas ...string) *sql.DB {
	drv := &sqlite.Driver{}
	drv.RegisterConnectionHook(func(conn sqlite.ExecQuerierContext, _ string) error {
		ctx := context.Background()
		if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ? AS "+as, []driver.NamedValue{{Ordinal: 1, Value: file}}); err != nil {
			return err
		}
		for _, p := range pragmas {
			if _, err := conn.ExecContext(ctx, "PRAGMA "+as+"."+p, nil); err != nil {
				return err
			}
		}
		return nil
	})
	return sql.OpenDB(connector{drv: drv, dsn: dsn})
}

// openIndex opens (creating or rebuilding as needed) the index file.
func (s *Store) openIndex(ctx context.Context, pragmas []string) error {
	idx := append(pragmas, "synchronous(NORMAL)", "cache_size(-65536)")
	s.index = newStmtDB(openAttaching(dsn(s.IndexPath(), "deferred", idx), s.path, "log"))
	s.index.SetMaxOpenConns(1)
	s.index.SetMaxIdleConns(1)
	s.index.SetConnMaxLifetime(0)
	var version int
	if err := s.index.QueryRowContext(ctx, "PRAGMA main.user_version").Scan(&version); err != nil {
		return fmt.Errorf("index file: %w", translate(err))
	}
	if version != indexSchemaVersion {
		if err := s.resetIndex(ctx); err != nil {
			return err
		}
	}
	// The index must be of this log: a log restored from a backup, or
	// another database put at this path, leaves an index file that is not.
	logID, err := s.Secret(ctx, "index-log-id", func() ([]byte, error) {
		b := make([]byte, 16)
		_, err := rand.Read(b)
		return b, err
	})
	if err != nil {
		return err
	}
	var have []byte
	err = s.index.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'log_id'`).Scan(&have)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("index file: %w", translate(err))
	}
	var ahead int
	if err := s.index.QueryRowContext(ctx, `SELECT COUNT(*) FROM index_marks m
		LEFT JOIN log.tenant_heads h ON h.tenant_pk = m.tenant_pk
		WHERE m.next_seq > COALESCE(h.next_seq, 0)`).Scan(&ahead); err != nil {
		return fmt.Errorf("index file: %w", translate(err))
	}
	if string(have) != string(logID) || ahead > 0 {
		if err := s.ClearIndex(ctx); err != nil {
			return err
		}
		if _, err := s.index.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES ('log_id', ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, logID); err != nil {
			return fmt.Errorf("index file: %w", translate(err))
		}
	}
	return nil
}

// resetIndex drops whatever the index file holds and creates the current
// schema, empty: the indexer refills it from the log.
func (s *Store) resetIndex(ctx context.Context) error {
	tx, err := s.index.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return translate(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return translate(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	for _, t := range tables {
		if _, err := tx.ExecContext(ctx, `DROP TABLE main."`+t+`"`); err != nil {
			return fmt.Errorf("index file: drop %s: %w", t, translate(err))
		}
	}
	if _, err := tx.ExecContext(ctx, indexSchema); err != nil {
		return fmt.Errorf("index file schema: %w", translate(err))
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA main.user_version = %d", indexSchemaVersion)); err != nil {
		return translate(err)
	}
	return translate(tx.Commit())
}

// IndexPath is the index file.
func (s *Store) IndexPath() string { return s.path + "-index" }

// beginIndex starts a transaction on the index file's connection. It is
// DEFERRED: BEGIN IMMEDIATE would take the write lock of the attached log
// too, which is exactly what the index file exists to avoid.
func (s *Store) beginIndex(ctx context.Context) (cachedTx, error) {
	tx, err := s.index.BeginTx(ctx, nil)
	if err != nil {
		return cachedTx{}, err
	}
	return cachedTx{Tx: tx, db: s.index, missed: new([]string)}, nil
}
