package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"
	sqlite "modernc.org/sqlite"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune a Store.
type Options struct {
	// NoLedger turns off leaf hashing and tiles. For benchmarks only: a
	// database written without its ledger cannot be verified.
	NoLedger bool
	// Readers is the size of the read pool (default: 2 × CPUs, at least 4).
	Readers int
	// WALLimit is the WAL length, in pages, past which the writer
	// checkpoints between groups so that the WAL starts over (default
	// 16384: 64 MiB).
	WALLimit int
	// TileCache is how many ledger tiles (8 KiB each) stay in memory
	// (default 4096: 32 MiB).
	TileCache int
}

// busyTimeout is how long a connection waits for a lock before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Store is a store.Store on one SQLite file.
type Store struct {
	path   string
	opts   Options
	writer *stmtDB // exactly one connection: SQLite has one writer anyway
	index  *stmtDB // the index file's one writer, the indexer's (indexfile.go)
	reader *stmtDB
	ckpt   *checkpointer

	tails *store.Tails // the ledger's right edges, owned by the writer

	watchers store.Watchers // told of revoked keys and new tenants

	mu      sync.Mutex
	tenants map[uuid.UUID]int64 // id → pk; tenants are never deleted
	ids     map[int64]uuid.UUID // pk → id
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path and brings its
// schema up to date.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	if err := createFile(path); err != nil {
		return nil, err
	}
	if opts.Readers <= 0 {
		opts.Readers = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if opts.WALLimit <= 0 {
		opts.WALLimit = defaultWALLimit
	}
	if opts.TileCache <= 0 {
		opts.TileCache = 4096
	}
	s := &Store{path: path, opts: opts, tails: store.NewTails(opts.TileCache), tenants: map[uuid.UUID]int64{}, ids: map[int64]uuid.UUID{}}
	// synchronous(FULL): an acknowledged event survives power loss, not only
	// a crash. Group commit pays the fsync once per group.
	pragmas := []string{"journal_mode(WAL)", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()), "synchronous(FULL)", "foreign_keys(1)", "mmap_size(268435456)"}
	// The writer gets a large page cache: a group of a few thousand events
	// touches a page of each of a dozen indexes per event, and a cache that
	// overflows mid-transaction spills pages to the WAL twice. It does not
	// checkpoint on commit: the checkpointer (checkpoint.go) does that off
	// the commit path.
	writer := append(pragmas, "cache_size(-131072)", "wal_autocheckpoint(0)", "journal_size_limit(67108864)")
	wdb, err := sql.Open("sqlite", dsn(path, "immediate", writer))
	if err != nil {
		return nil, err
	}
	s.writer = newStmtDB(wdb)
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxLifetime(0)
	if err := s.migrate(ctx); err != nil {
		s.writer.Close()
		return nil, err
	}
	// Readers attach the index file, which openIndex then brings up to
	// date (it reads the log's secrets through them). It holds what the
	// events hold, so it is made private like the log.
	if err := createFile(s.IndexPath()); err != nil {
		s.writer.Close()
		return nil, err
	}
	s.reader = newStmtDB(openAttaching(dsn(path, "deferred", append(pragmas, "query_only(1)", "cache_size(-16384)")), s.IndexPath(), "idx", "cache_size = -16384", "mmap_size = 268435456"))
	s.reader.SetMaxOpenConns(opts.Readers)
	s.reader.SetMaxIdleConns(opts.Readers)
	if err := s.openIndex(ctx, pragmas); err != nil {
		s.Close()
		return nil, err
	}
	if s.ckpt, err = startCheckpointer(path, pragmas); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func dsn(path, txlock string, pragmas []string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", txlock)
	return "file:" + path + "?" + q.Encode()
}

func (s *Store) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.writer.DB, sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", translate(err))
	}
	return nil
}

// Engine implements store.Store.
func (s *Store) Engine() string { return "sqlite" }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.reader.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return translate(err)
	}
	return nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	var errs []error
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.stop())
	}
	if s.index != nil {
		_, _ = s.index.Exec("PRAGMA main.wal_checkpoint(TRUNCATE)")
		errs = append(errs, s.index.Close())
	}
	if s.writer != nil {
		// Fold the WAL back into the main file so a copied database is whole.
		_, _ = s.writer.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		errs = append(errs, s.writer.Close())
	}
	return errors.Join(errs...)
}

// translate maps SQLite result codes to the domain's errors.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.Edge(event.ErrNotFound, "not found", err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch code := se.Code(); {
		case code == 2067 || code == 1555: // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
			return store.Edge(event.ErrConflict, "conflicts with a stored row", err)
		case code == 787: // SQLITE_CONSTRAINT_FOREIGNKEY
			return store.Edge(event.ErrNotFound, "not found", err)
		case code&0xff == 19: // other constraints, including the append-only triggers
			return store.Edge(event.ErrForbidden, "the ledger guards refuse to change stored rows", err)
		case code&0xff == 5 || code&0xff == 6 || code&0xff == 10 || code&0xff == 13 || code&0xff == 14 || code&0xff == 8:
			// BUSY, LOCKED, IOERR, FULL, CANTOPEN, READONLY: try again later.
			return fmt.Errorf("%w: %w", event.ErrUnavailable, err)
		}
	}
	return err
}

// Analyze refreshes the planner's statistics (after a bulk load). It
// samples each index (analysis_limit) instead of reading it whole, which
// at tens of millions of events takes minutes; the engine's queries
// lean on index hints more than on exact statistics (docs/query.md).
func (s *Store) Analyze(ctx context.Context) error {
	if _, err := s.writer.ExecContext(ctx, "PRAGMA analysis_limit = 20000"); err != nil {
		return translate(err)
	}
	if _, err := s.writer.ExecContext(ctx, "ANALYZE"); err != nil {
		return translate(err)
	}
	// The query indexes are in the index file.
	if _, err := s.index.ExecContext(ctx, "PRAGMA main.analysis_limit = 20000"); err != nil {
		return translate(err)
	}
	_, err := s.index.ExecContext(ctx, "ANALYZE main")
	return translate(err)
}
