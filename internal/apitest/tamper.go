package apitest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the driver the SQLite store uses
)

// Tamperer changes a database behind the service's back, the way someone
// with direct access to it could: its statements bypass the append-only
// guards that refuse the service's own connections. Tests of tamper
// evidence use it; nothing else should.
type Tamperer struct {
	Engine string
	sqlite *sql.DB
	pg     *pgx.Conn
}

// NewTamperer connects to db (as DB returned it) on a connection of its
// own, closed when the test ends.
func NewTamperer(t testing.TB, db string) *Tamperer {
	t.Helper()
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		conn, err := pgx.Connect(context.Background(), db)
		if err != nil {
			t.Fatalf("tamperer: %v", err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		return &Tamperer{Engine: "postgres", pg: conn}
	}
	path := strings.TrimPrefix(db, "sqlite:")
	h, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		t.Fatalf("tamperer: %v", err)
	}
	h.SetMaxOpenConns(1)
	t.Cleanup(func() { h.Close() })
	return &Tamperer{Engine: "sqlite", sqlite: h}
}

// Exec runs stmts in one transaction with the guards off, and turns them
// back on before it commits.
//
// On PostgreSQL the guards are triggers, which do not fire for a session
// in replica mode (this needs a superuser, as the tests' user is). On
// SQLite they are triggers too, and SQLite cannot switch them off: the
// transaction drops the guards of the tables the statements touch and
// creates them again, from their stored definitions, before it commits.
func (tm *Tamperer) Exec(ctx context.Context, stmts ...string) error {
	if tm.pg != nil {
		tx, err := tm.pg.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
			return err
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return tx.Commit(ctx)
	}
	tx, err := tm.sqlite.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('event_log', 'ledger_tiles', 'ledger_checkpoints')`)
	if err != nil {
		return err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return err
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER "`+n+`"`); err != nil {
			return err
		}
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	for _, d := range defs {
		if _, err := tx.ExecContext(ctx, d); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Guarded runs stmt on an ordinary connection, guards on, and returns what
// the database said: an error, if the guards work.
func (tm *Tamperer) Guarded(ctx context.Context, stmt string) error {
	if tm.pg != nil {
		_, err := tm.pg.Exec(ctx, stmt)
		return err
	}
	_, err := tm.sqlite.ExecContext(ctx, stmt)
	return err
}

// Int runs a query of one integer.
func (tm *Tamperer) Int(ctx context.Context, query string) (int64, error) {
	var n int64
	if tm.pg != nil {
		err := tm.pg.QueryRow(ctx, query).Scan(&n)
		return n, err
	}
	err := tm.sqlite.QueryRowContext(ctx, query).Scan(&n)
	return n, err
}
