package ingest_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ingest"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/sqlite"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

func appendN(t *testing.T, st store.Store, tenant uuid.UUID, n int) {
	t.Helper()
	var evs []event.Event
	for i := 0; i < n; i++ {
		evs = append(evs, storetest.NewEvent(t, tenant, "indexed"))
	}
	if res, err := st.Append(context.Background(), []store.AppendRequest{{Events: evs}}); err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
}

func waitLag(t *testing.T, st store.Store, want int64) {
	t.Helper()
	for i := 0; ; i++ {
		lag, err := st.Lag(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if lag.Events == want {
			return
		}
		if i == 1000 {
			t.Fatalf("lag stayed %d, want %d", lag.Events, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIndexer: a nudge makes the indexer fold what was committed, in
// batches of at most Batch; without a nudge nothing is folded until the
// poll; Close folds what is left. The metrics count it.
func TestIndexer(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "i.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tn := storetest.NewTenant(t, st, "idx", uuid.Nil)
	appendN(t, st, tn.ID, 30)
	reg := prometheus.NewRegistry()
	x := ingest.NewIndexer(st, ingest.IndexerConfig{Batch: 7, Delay: time.Millisecond, Poll: time.Hour}, reg)
	closed := false
	defer func() {
		if !closed {
			x.Close(context.Background())
		}
	}()

	waitLag(t, st, 0) // the first pass at start, without a nudge, folds what is there
	appendN(t, st, tn.ID, 20)
	// No nudge and an hour's poll: the indexer stays behind, reads do not.
	time.Sleep(50 * time.Millisecond)
	if lag, _ := st.Lag(context.Background()); lag.Events != 20 {
		t.Fatalf("lag without a nudge = %d, want 20", lag.Events)
	}
	x.Nudge()
	waitLag(t, st, 0)
	appendN(t, st, tn.ID, 11)
	x.Close(context.Background())
	closed = true
	if lag, _ := st.Lag(context.Background()); lag.Events != 0 {
		t.Errorf("lag after Close = %d, want 0: Close drains", lag.Events)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var folded float64
	for _, mf := range mfs {
		if mf.GetName() == "auditkeep_index_events_total" {
			folded = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	if folded != 61 {
		t.Errorf("auditkeep_index_events_total = %v, want 61", folded)
	}
}
