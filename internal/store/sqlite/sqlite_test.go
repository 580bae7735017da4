package sqlite_test

import (
	"context"
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
