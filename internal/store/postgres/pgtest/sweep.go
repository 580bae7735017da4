package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Every database pgtest makes is named prefix + creation time (Unix
// seconds) + owner + a suffix, the owner being a token of the process that
// made it. While that process lives it holds a connection whose
// application_name is beaconPrefix + owner. So a later process can tell
// the leftovers of one that ended without cleaning up (it crashed, was
// killed, or its package's TestMain does not call Main) from databases in
// use, with no bookkeeping table, and across machines sharing the server.
const (
	testPrefix   = "auditkeep_t_"
	tmplPrefix   = "auditkeep_tmpl_"
	beaconPrefix = "auditkeep_pgtest_"
	// staleAfter is when a database whose owner cannot be told (named by
	// an older pgtest) counts as left behind.
	staleAfter = 3 * time.Hour
)

// newName returns a database name owned by this process.
func (s *server) newName(prefix, suffix string) string {
	return prefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + s.owner + "_" + suffix
}

// parseName reads the creation time and owner out of a name newName made;
// owner is "" for names of an older form, which carry only the time.
func parseName(name string) (created time.Time, owner string, ok bool) {
	rest, ok := strings.CutPrefix(name, tmplPrefix)
	if !ok {
		if rest, ok = strings.CutPrefix(name, testPrefix); !ok {
			return time.Time{}, "", false
		}
	}
	fields := strings.Split(rest, "_")
	sec, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	if len(fields) == 3 && isOwner(fields[1]) {
		owner = fields[1]
	}
	return time.Unix(sec, 0), owner, true
}

// isOwner reports whether f is an owner token: "p" and 8 hex digits.
func isOwner(f string) bool {
	if len(f) != 9 || f[0] != 'p' {
		return false
	}
	_, err := hex.DecodeString(f[1:])
	return err == nil
}

// dropStale drops the databases of processes that are gone, and those of
// unknown owner once they are old. Failures are ignored: the next process
// tries again.
func (s *server) dropStale(ctx context.Context) {
	rows, err := s.admin.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'auditkeep\_t\_%' OR datname LIKE 'auditkeep\_tmpl\_%'`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	// Read after the names: an owner's beacon connects before it creates
	// any database, so a database listed above whose owner is missing
	// here belongs to a process that has ended.
	rows, err = s.admin.Query(ctx, `SELECT DISTINCT application_name FROM pg_stat_activity WHERE application_name LIKE 'auditkeep\_pgtest\_%'`)
	if err != nil {
		return
	}
	apps, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	live := map[string]bool{}
	for _, a := range apps {
		live[strings.TrimPrefix(a, beaconPrefix)] = true
	}
	for _, name := range names {
		created, owner, ok := parseName(name)
		if !ok {
			continue
		}
		if (owner != "" && !live[owner]) || (owner == "" && time.Since(created) > staleAfter) {
			_ = dropDatabase(s.admin, name)
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}
