package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/bench"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/sqlite"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

func open(t *testing.T) store.Store {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

// The writer does not checkpoint on commit; the background checkpointer
// must still fold the WAL into the database file while the store is open,
// or the WAL grows without bound and the main file never changes.
func TestBackgroundCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ckpt.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Let the checkpointer fold the migrations in first.
	time.Sleep(time.Second)
	before := size()
	tn := storetest.NewTenant(t, st, "ckpt", uuid.Nil)
	evs := bench.Events(tn.ID, 2000)
	if res, err := st.Append(ctx, []store.AppendRequest{{Events: evs}}); err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for size() <= before {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes 10s after a commit: the WAL was not checkpointed", before)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A writer that begins each group right after the last keeps the WAL from
// ever being fully copied when the next group begins; the writer must
// still start the WAL over once it passes its limit, or the WAL holds every
// page ever written.
func TestWALStartsOver(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{WALLimit: 256})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tn := storetest.NewTenant(t, st, "wal", uuid.Nil)
	for range 200 {
		if res, err := st.Append(ctx, []store.AppendRequest{{Events: bench.Events(tn.ID, 50)}}); err != nil || res[0].Err != nil {
			t.Fatal(err, res[0].Err)
		}
	}
	// Ask SQLite how long the WAL is, from a connection of our own.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var busy, frames, copied, pages int64
	if err := db.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	// Each group rewrites a good part of so small a database; a WAL that
	// starts over holds the last few groups, one that does not holds all
	// forty.
	t.Logf("WAL %d frames, database %d pages", frames, pages)
	if frames > 10*pages {
		t.Errorf("the WAL holds %d frames for a database of %d pages: it does not start over", frames, pages)
	}
}
