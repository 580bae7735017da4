package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/auditkeep/auditkeep/internal/store/postgres"
)

const defaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// DSN is the server tests use: AUDITKEEP_TEST_POSTGRES, or the local
// default. It names a maintenance database that pgtest only connects to.
func DSN() string {
	if dsn := os.Getenv("AUDITKEEP_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultDSN
}

// required reports whether an unreachable server fails tests rather than
// skipping them.
func required() bool { return os.Getenv("AUDITKEEP_REQUIRE_POSTGRES") == "1" }

// server is this process's connection to PostgreSQL and its template.
// It is set up once, by the first test that needs it.
type server struct {
	dsn   string
	once  sync.Once
	owner string // this process's token in the names of its databases
	// beacon is held open for the life of the process, named after owner,
	// to tell other processes that owner's databases are in use.
	beacon      *pgx.Conn
	admin       *pgxpool.Pool
	template    string
	unreachable bool
	err         error
}

// The one per test process: tests of a package share the template.
var srv server

// NewDatabase creates an empty, migrated database for this test, drops it
// when the test ends, and returns its DSN.
func NewDatabase(t testing.TB) string {
	t.Helper()
	s := setup(t)
	name := s.newName(testPrefix, randomHex(6))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Clones of one template may be made concurrently: each holds a share
	// lock on the template, and nobody is connected to it.
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(s.template)); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := dropDatabase(s.admin, name); err != nil {
			t.Logf("pgtest: %v (a later run drops it)", err)
		}
	})
	return withDatabase(s.dsn, name)
}

// Open returns a Store on a fresh database, closed when the test ends.
func Open(t testing.TB) *postgres.Store {
	t.Helper()
	dsn := NewDatabase(t)
	st, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatalf("pgtest: open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Main runs the tests of a package and then drops this process's template.
// Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	srv.close()
	os.Exit(code)
}

// setup returns the process's server, creating the template on first use,
// or ends the test: skipped when the server is unreachable (unless it is
// required), failed on any other problem.
func setup(t testing.TB) *server {
	t.Helper()
	srv.once.Do(srv.init)
	if !srv.usable(t, required()) {
		return nil // not reached: the test was skipped or failed
	}
	return &srv
}

// usable reports whether s is ready, or else ends t: a skip when the
// server is unreachable and not required, a failure otherwise.
func (s *server) usable(t testing.TB, required bool) bool {
	t.Helper()
	switch {
	case s.err == nil:
		return true
	case s.unreachable && !required:
		t.Skipf("pgtest: PostgreSQL unavailable (set AUDITKEEP_TEST_POSTGRES, or AUDITKEEP_REQUIRE_POSTGRES=1 to fail): %v", s.err)
	default:
		t.Fatalf("pgtest: %v", s.err)
	}
	return false
}

func (s *server) init() {
	if s.dsn == "" {
		s.dsn = DSN()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, err := pgxpool.ParseConfig(s.dsn)
	if err != nil {
		s.err = fmt.Errorf("AUDITKEEP_TEST_POSTGRES: %w", err)
		return
	}
	cfg.MaxConns = 4
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > 5*time.Second {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	s.owner = "p" + randomHex(4)
	beaconCfg := cfg.ConnConfig.Copy()
	beaconCfg.RuntimeParams["application_name"] = beaconPrefix + s.owner
	if s.beacon, err = pgx.ConnectConfig(ctx, beaconCfg); err == nil {
		s.admin, err = pgxpool.NewWithConfig(ctx, cfg)
	}
	if err != nil {
		s.close()
		s.err, s.unreachable = fmt.Errorf("connect: %w", err), true
		return
	}
	s.dropStale(ctx)

	name := s.newName(tmplPrefix, strconv.Itoa(os.Getpid()))
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+ident(name)); err != nil {
		s.err = fmt.Errorf("create template: %w", err)
		return
	}
	s.template = name
	st, err := postgres.Open(ctx, withDatabase(s.dsn, name), postgres.Options{MaxConns: 1})
	if err != nil {
		s.err = fmt.Errorf("migrate template: %w", err)
		return
	}
	st.Close()
	// Nobody may connect to the template from now on: a connection to it,
	// even an idle one, would make every clone fail.
	if _, err := s.admin.Exec(ctx, "ALTER DATABASE "+ident(name)+" WITH ALLOW_CONNECTIONS false"); err != nil {
		s.err = fmt.Errorf("seal template: %w", err)
	}
}

func (s *server) close() {
	if s.admin != nil {
		if s.template != "" {
			if err := dropDatabase(s.admin, s.template); err != nil {
				fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			}
		}
		s.admin.Close()
		s.admin = nil
	}
	// Last: once the beacon is gone, other processes may drop what is left.
	if s.beacon != nil {
		s.beacon.Close(context.Background())
		s.beacon = nil
	}
}

func dropDatabase(admin *pgxpool.Pool, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// FORCE ends connections a test left open (a leaked pool, a
	// listener); the database goes either way.
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// withDatabase returns dsn with its database replaced by name, for both
// forms of connection string.
func withDatabase(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			u.Path = "/" + name
			u.RawPath = ""
			return u.String()
		}
	}
	// In key=value form a later setting overrides an earlier one.
	return dsn + " dbname=" + name
}
