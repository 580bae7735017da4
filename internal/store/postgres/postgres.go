package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune a Store.
type Options struct {
	// NoLedger turns off leaf hashing. For benchmarks only: a database
	// written without its ledger cannot be verified.
	NoLedger bool
	// MaxConns caps the connection pool (default: pgxpool's, the larger of
	// 4 and the number of CPUs).
	MaxConns int
	// TileCache is how many ledger tiles (8 KiB each) stay in memory
	// (default 4096: 32 MiB).
	TileCache int
}

// Store is a store.Store on one PostgreSQL database.
type Store struct {
	opts  Options
	pool  *pgxpool.Pool
	tails *store.Tails // the ledger's right edges, owned by the writer

	watchers store.Watchers // told of revoked keys and new tenants

	mu      sync.Mutex
	tenants map[uuid.UUID]int64 // id → pk; tenants are never deleted
	ids     map[int64]uuid.UUID // pk → id
}

var _ store.Store = (*Store)(nil)

// Open connects to the database dsn names (a postgres:// URL or libpq
// key=value string) and brings its schema up to date.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres dsn: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(opts.MaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", translate(err))
	}
	if opts.TileCache <= 0 {
		opts.TileCache = 4096
	}
	s := &Store{opts: opts, pool: pool, tails: store.NewTails(opts.TileCache), tenants: map[uuid.UUID]int64{}, ids: map[int64]uuid.UUID{}}
	// Connect first so that an unreachable server is reported as such,
	// not as a failed migration.
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	// Several processes may start at once against one database; the
	// advisory lock lets one migrate while the others wait. It is retried
	// every second for up to five minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	// goose needs a *sql.DB; this one borrows the pool's connections and
	// closing it leaves the pool open.
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", translate(err))
	}
	return nil
}

// Engine implements store.Store.
func (s *Store) Engine() string { return "postgres" }

// Pool is the connection pool, for tests and benchmarks that need to look
// underneath the Store.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	return translate(s.pool.Ping(ctx))
}

// Analyze refreshes the planner's statistics (after a bulk load, which
// autovacuum would get to only later).
func (s *Store) Analyze(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, "ANALYZE")
	return translate(err)
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// translate maps driver errors to the domain's errors by SQLSTATE, never by
// message.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Edge(event.ErrNotFound, "not found", err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch code := pe.Code; {
		case code == "23505": // unique_violation
			return store.Edge(event.ErrConflict, "conflicts with a stored row", err)
		case code == "23503": // foreign_key_violation
			return store.Edge(event.ErrNotFound, "not found", err)
		case code == "22021", code == "22P05": // text PostgreSQL cannot hold: invalid UTF-8, NUL
			return store.Edge(event.ErrInvalid, "text must be UTF-8 without NUL", err)
		case code == "P0001": // raise_exception: the append-only guards
			return store.Edge(event.ErrForbidden, "the ledger guards refuse to change stored rows", err)
		case strings.HasPrefix(code, "08"), // connection exception
			strings.HasPrefix(code, "53"),                     // insufficient resources (disk full, too many connections)
			code == "57P01", code == "57P02", code == "57P03", // server shutting down or starting
			code == "40001", code == "40P01": // serialization failure, deadlock: worth a retry
			return fmt.Errorf("%w: %w", event.ErrUnavailable, err)
		}
		return err
	}
	// No server answer at all: the connection could not be made or broke.
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.SafeToRetry(err) {
		return fmt.Errorf("%w: %w", event.ErrUnavailable, err)
	}
	return err
}
