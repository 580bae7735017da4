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
	stmts map[string]*cachedStmt
}

// cachedStmt is a statement of the cache with the calls running it. An
// evicted statement is closed by the last of them, so that eviction never
// closes a statement between another caller's lookup and its use.
type cachedStmt struct {
	st      *sql.Stmt
	users   int
	evicted bool
}

func newStmtDB(db *sql.DB) *stmtDB { return &stmtDB{DB: db, stmts: map[string]*cachedStmt{}} }

// cached returns the prepared statement of query, or nil when it has not
// been prepared yet. The statement may be closed by an eviction at any
// time; only Tx.StmtContext, which prepares anew on a closed statement,
// may use it.
func (d *stmtDB) cached(query string) *sql.Stmt {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.stmts[query]; c != nil {
		return c.st
	}
	return nil
}

// acquire returns the prepared statement of query, preparing it once; the
// caller must release it.
func (d *stmtDB) acquire(ctx context.Context, query string) (*cachedStmt, error) {
	d.mu.Lock()
	if c, ok := d.stmts[query]; ok {
		c.users++
		d.mu.Unlock()
		return c, nil
	}
	d.mu.Unlock()
	st, err := d.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.stmts[query]; ok {
		st.Close()
		c.users++
		return c, nil
	}
	if len(d.stmts) >= maxCachedStmts {
		for q, old := range d.stmts {
			d.evictLocked(q, old)
		}
	}
	c := &cachedStmt{st: st, users: 1}
	d.stmts[query] = c
	return c, nil
}

// release ends a use of c; the last use of an evicted statement closes it.
// Rows still open on it keep it alive until they close.
func (d *stmtDB) release(c *cachedStmt) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c.users--
	if c.evicted && c.users == 0 {
		c.st.Close()
	}
}

func (d *stmtDB) evictLocked(query string, c *cachedStmt) {
	delete(d.stmts, query)
	c.evicted = true
	if c.users == 0 {
		c.st.Close()
	}
}

// QueryContext runs a cached statement.
func (d *stmtDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c, err := d.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	defer d.release(c)
	return c.st.QueryContext(ctx, args...)
}

// QueryRowContext runs a cached statement for one row.
func (d *stmtDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	c, err := d.acquire(ctx, query)
	if err != nil {
		// Let the plain path report the preparation error on Scan.
		return d.DB.QueryRowContext(ctx, query, args...)
	}
	defer d.release(c)
	return c.st.QueryRowContext(ctx, args...)
}

// ExecContext runs a cached statement.
func (d *stmtDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c, err := d.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	defer d.release(c)
	return c.st.ExecContext(ctx, args...)
}

// Close closes the statements and the database.
func (d *stmtDB) Close() error {
	d.mu.Lock()
	for q, c := range d.stmts {
		d.evictLocked(q, c)
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
		if c, err := t.db.acquire(context.Background(), q); err == nil {
			t.db.release(c)
		}
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
