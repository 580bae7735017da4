package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/sqlite"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

// TestIndexFileOfAnotherLog: an index file left beside a log it was not
// built from (a restored backup, another database moved into place) is
// emptied at open and rebuilt, never read as that log's index.
func TestIndexFileOfAnotherLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fill := func(path string, n int) uuid.UUID {
		st, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		tn := storetest.NewTenant(t, st, "t", uuid.Nil)
		var evs []event.Event
		for i := 0; i < n; i++ {
			evs = append(evs, storetest.NewEvent(t, tn.ID, "a"))
		}
		if _, err := st.Append(ctx, []store.AppendRequest{{Events: evs}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.IndexBatch(ctx, 1000); err != nil {
			t.Fatal(err)
		}
		return tn.ID
	}
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	fill(a, 7)
	tb := fill(b, 3)
	// b's log, with a's index beside it.
	if err := os.Rename(b, a); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, a, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if lag, err := st.Lag(ctx); err != nil || lag.Events != 3 {
		t.Fatalf("lag = %+v, %v; want b's 3 events, to be indexed anew", lag, err)
	}
	if n, err := st.Count(ctx, &store.Query{Tenants: []uuid.UUID{tb}, Filter: store.Filter{Actions: []string{"a"}}}); err != nil || n != 3 {
		t.Errorf("count = %d, %v; want 3", n, err)
	}
}
