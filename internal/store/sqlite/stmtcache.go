package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statement cache. Page queries vary with the
// number of tenants and filter values, so the set of texts is open-ended;
// when it fills up the cache starts over.
const maxCachedStmts = 512

// stmtDB is a *sql.DB whose queries reuse prepared statements. Preparing
// is a large part of a short query's cost in this driver (authenticating
// a key, say), and database/sql prepares anew on every call otherwise.
type stmtDB struct {
	*sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newStmtDB(db *sql.DB) *stmtDB { return &stmtDB{DB: db, stmts: map[string]*sql.Stmt{}} }

// cached returns the prepared statement of query, or nil when it has not
// been prepared yet.
func (d *stmtDB) cached(query string) *sql.Stmt {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stmts[query]
}

// stmt returns the prepared statement of query, preparing it once.
func (d *stmtDB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	d.mu.Lock()
	st, ok := d.stmts[query]
	d.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := d.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.stmts[query]; ok {
		st.Close()
		return old, nil
	}
	if len(d.stmts) >= maxCachedStmts {
		// Statements in use stay valid until their rows close: Close only
		// marks them for closing after that.
		for q, old := range d.stmts {
			old.Close()
			delete(d.stmts, q)
		}
	}
	d.stmts[query] = st
	return st, nil
}

// QueryContext runs a cached statement.
func (d *stmtDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := d.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a cached statement for one row.
func (d *stmtDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := d.stmt(ctx, query)
	if err != nil {
		// Let the plain path report the preparation error on Scan.
		return d.DB.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecContext runs a cached statement.
func (d *stmtDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := d.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// Close closes the statements and the database.
func (d *stmtDB) Close() error {
	d.mu.Lock()
	for q, st := range d.stmts {
		st.Close()
		delete(d.stmts, q)
	}
	d.mu.Unlock()
	return d.DB.Close()
}

// cachedTx is a writer transaction that runs the writer's cached
// statements. The writer has a single connection, which the transaction
// holds, so a statement missing from the cache cannot be prepared on the
// pool while the transaction is open: it is prepared on the transaction
// for this once and added to the cache after the transaction ends.
type cachedTx struct {
	*sql.Tx
	db     *stmtDB
	missed *[]string
}

func (t cachedTx) bind(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := t.db.cached(query); st != nil {
		return t.Tx.StmtContext(ctx, st), nil
	}
	*t.missed = append(*t.missed, query)
	return t.Tx.PrepareContext(ctx, query)
}

// QueryContext runs a cached statement in the transaction.
func (t cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.bind(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a cached statement in the transaction.
func (t cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.bind(ctx, query)
	if err != nil {
		return t.Tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecContext runs a cached statement in the transaction.
func (t cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.bind(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// PrepareContext returns the cached statement bound to the transaction.
func (t cachedTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.bind(ctx, query)
}

// Commit commits the transaction and caches the statements it missed.
func (t cachedTx) Commit() error {
	err := t.Tx.Commit()
	t.warm()
	return err
}

// Rollback rolls the transaction back and caches the statements it
// missed. It is safe to call after Commit.
func (t cachedTx) Rollback() error {
	err := t.Tx.Rollback()
	t.warm()
	return err
}

// warm prepares the missed statements now that the connection is free. A
// failure only means the next transaction prepares them again.
func (t cachedTx) warm() {
	for _, q := range *t.missed {
		_, _ = t.db.stmt(context.Background(), q)
	}
	*t.missed = (*t.missed)[:0]
}

// begin starts a writer transaction with cached statements.
func (s *Store) begin(ctx context.Context) (cachedTx, error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return cachedTx{}, err
	}
	return cachedTx{Tx: tx, db: s.writer, missed: new([]string)}, nil
}
