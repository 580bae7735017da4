package pgtest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "postgres://postgres@127.0.0.1:5432/db1?sslmode=disable"},
		{"postgresql://u:p%40ss@db:5433?sslmode=require", "postgresql://u:p%40ss@db:5433/db1?sslmode=require"},
		{"host=/run/postgresql user=postgres dbname=postgres", "host=/run/postgresql user=postgres dbname=postgres dbname=db1"},
	} {
		if got := withDatabase(tc.dsn, "db1"); got != tc.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}

func TestNamesCarryAgeAndOwner(t *testing.T) {
	t.Parallel()
	s := &server{owner: "p" + randomHex(4)}
	for _, name := range []string{s.newName(testPrefix, randomHex(6)), s.newName(tmplPrefix, "4242")} {
		if len(name) > 63 {
			t.Errorf("%q is longer than PostgreSQL's 63-byte identifiers", name)
		}
		created, owner, ok := parseName(name)
		if !ok || owner != s.owner || time.Since(created).Abs() > time.Minute {
			t.Errorf("parseName(%q) = %v, %q, %v; want about now, %q", name, created, owner, ok, s.owner)
		}
	}
	// Names of the older form carry only their age.
	if created, owner, ok := parseName("auditkeep_tmpl_1700000000_4242_a4e93833091e"); !ok || owner != "" || created.Unix() != 1700000000 {
		t.Errorf("older template name = %v, %q, %v", created, owner, ok)
	}
	for _, name := range []string{"auditkeep_test", "auditkeep_t_x_1", "postgres", "auditkeep_tmpl_"} {
		if _, _, ok := parseName(name); ok {
			t.Errorf("parseName(%q) is ok, want not one of ours", name)
		}
	}
}

// fakeTB records how a test would have ended.
type fakeTB struct {
	testing.TB
	ended string
}

func (f *fakeTB) Helper()                          {}
func (f *fakeTB) Skipf(format string, args ...any) { f.ended = "skip: " + fmt.Sprintf(format, args...) }
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.ended = "fatal: " + fmt.Sprintf(format, args...)
}

func TestUnreachableServerSkipsUnlessRequired(t *testing.T) {
	t.Parallel()
	// Nothing listens on port 1 of the loopback address.
	s := &server{dsn: "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5"}
	s.init()
	if !s.unreachable || s.err == nil {
		t.Fatalf("init against a closed port: unreachable = %v, err = %v", s.unreachable, s.err)
	}
	for _, tc := range []struct {
		required bool
		want     string
	}{{false, "skip: "}, {true, "fatal: "}} {
		f := &fakeTB{}
		if s.usable(f, tc.required) || !strings.HasPrefix(f.ended, tc.want) {
			t.Errorf("required = %v: test ended with %q, want %s…", tc.required, f.ended, tc.want)
		}
	}
}

func TestMain(m *testing.M) { Main(m) }

// dropStale drops the databases of ended processes and old ones of unknown
// owner, and keeps those of live processes and young ones.
func TestDropStale(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	old := strconv.FormatInt(time.Now().Add(-staleAfter-time.Hour).Unix(), 10)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	cases := map[string]bool{ // name → kept
		s.newName(testPrefix, randomHex(6)):                         true,  // ours, live
		testPrefix + now + "_p" + randomHex(4) + "_" + randomHex(6): false, // owner gone
		testPrefix + old + "_" + randomHex(6):                       false, // older form, old
		testPrefix + now + "_" + randomHex(6):                       true,  // older form, young
	}
	for name := range cases {
		if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+ident(name)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = dropDatabase(s.admin, name) })
	}
	s.dropStale(ctx)
	for name, kept := range cases {
		var exists bool
		if err := s.admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists != kept {
			t.Errorf("%s: exists = %v, want %v", name, exists, kept)
		}
	}
}
