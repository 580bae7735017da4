package ingest_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ingest"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

// openStore opens a fresh store of engine with nothing else running on
// it, so that the test decides when the indexer folds.
func openStore(t *testing.T, engine string) store.Store {
	t.Helper()
	st, err := app.OpenStore(context.Background(), apitest.DB(t, engine), app.StoreOptions{NoLedger: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func events(t *testing.T, tenant uuid.UUID, n int) store.AppendRequest {
	var evs []event.Event
	for i := 0; i < n; i++ {
		evs = append(evs, storetest.NewEvent(t, tenant, "bp"))
	}
	return store.AppendRequest{Events: evs}
}

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func stored(t *testing.T, st store.Store, tenant uuid.UUID) int64 {
	t.Helper()
	n, err := st.Count(context.Background(), &store.Query{Tenants: []uuid.UUID{tenant}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// newPair starts an indexer that folds nothing after its first pass (an
// hour's delay and poll: only Close makes it fold) and a sequencer bounded
// by it, counting commits as the app does. The first pass folds one event
// of tenant, so that its end can be seen: the tenant then holds 1 event.
func newPair(t *testing.T, st store.Store, tenant uuid.UUID, maxLag int64, wait time.Duration) (*ingest.Indexer, *ingest.Sequencer, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	appendN(t, st, tenant, 1)
	x := ingest.NewIndexer(st, ingest.IndexerConfig{Delay: time.Hour, Poll: time.Hour}, nil)
	waitLag(t, st, 0)
	t.Cleanup(func() { x.Close(context.Background()) })
	seq := ingest.NewSequencer(st, ingest.SequencerConfig{
		IndexLag: x, MaxIndexLag: maxLag, IndexLagWait: wait,
		AfterCommit: func(_ context.Context, reqs []store.AppendRequest, res []store.AppendResult) {
			n := 0
			for _, r := range res {
				n += len(r.Events)
			}
			x.Committed(n)
		},
	}, ingest.NewMetrics(reg))
	t.Cleanup(func() { seq.Close(context.Background()) })
	return x, seq, reg
}

// With the indexer stopped and a bound of 10 events, ingest up to the
// bound commits, the next request is refused as unavailable with nothing
// of it stored, and once the indexer has folded the log ingest commits
// again. A request held while the indexer is stopped commits when it
// catches up, woken by its progress.
func TestBackpressureRefusesPastTheBound(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		st := openStore(t, engine)
		tn := storetest.NewTenant(t, st, "bp", uuid.Nil)
		x, seq, reg := newPair(t, st, tn.ID, 10, 20*time.Millisecond)
		ctx := context.Background()

		for _, n := range []int{10, 1} { // 0 then 10 behind: both within the bound
			if _, err := seq.Submit(ctx, events(t, tn.ID, n)); err != nil {
				t.Fatalf("submit %d within the bound: %v", n, err)
			}
		}
		_, err := seq.Submit(ctx, events(t, tn.ID, 5))
		if !errors.Is(err, event.ErrUnavailable) {
			t.Fatalf("submit past the bound: %v, want ErrUnavailable", err)
		}
		if got := stored(t, st, tn.ID); got != 12 {
			t.Errorf("stored %d events, want 12: the refused request wrote something", got)
		}
		if got := counter(t, reg, "auditkeep_ingest_backpressure_refused_total"); got != 1 {
			t.Errorf("refused = %v, want 1", got)
		}
		if got := counter(t, reg, "auditkeep_ingest_backpressure_held_groups_total"); got != 1 {
			t.Errorf("held groups = %v, want 1", got)
		}

		x.Close(ctx) // folds the log: the indexer has caught up
		if b := x.Behind(); b != 0 {
			t.Fatalf("behind after the indexer caught up = %d", b)
		}
		if _, err := seq.Submit(ctx, events(t, tn.ID, 5)); err != nil {
			t.Fatalf("submit after the indexer caught up: %v", err)
		}
		if got := stored(t, st, tn.ID); got != 17 {
			t.Errorf("stored %d events, want 17", got)
		}
	})
}

// A held request is committed, not refused, when the indexer catches up
// within its wait.
func TestBackpressureHeldRequestCommitsOnProgress(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		st := openStore(t, engine)
		tn := storetest.NewTenant(t, st, "bp", uuid.Nil)
		x, seq, reg := newPair(t, st, tn.ID, 3, time.Minute)
		ctx := context.Background()
		if _, err := seq.Submit(ctx, events(t, tn.ID, 4)); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := seq.Submit(ctx, events(t, tn.ID, 2))
			done <- err
		}()
		for i := 0; counter(t, reg, "auditkeep_ingest_backpressure_held_groups_total") == 0; i++ {
			if i == 1000 {
				t.Fatal("the request was never held")
			}
			time.Sleep(5 * time.Millisecond)
		}
		select {
		case err := <-done:
			t.Fatalf("held request answered before the indexer moved: %v", err)
		default:
		}
		x.Close(ctx)
		if err := <-done; err != nil {
			t.Fatalf("held request after the indexer caught up: %v", err)
		}
		if got := stored(t, st, tn.ID); got != 7 {
			t.Errorf("stored %d events, want 7", got)
		}
		if got := counter(t, reg, "auditkeep_ingest_backpressure_refused_total"); got != 0 {
			t.Errorf("refused = %v, want 0", got)
		}
	})
}

// A held request whose context ends is answered with its context's error
// and nothing of it is stored.
func TestBackpressureHeldRequestCancelled(t *testing.T) {
	st := openStore(t, "sqlite")
	tn := storetest.NewTenant(t, st, "bp", uuid.Nil)
	_, seq, reg := newPair(t, st, tn.ID, 1, time.Hour)
	if _, err := seq.Submit(context.Background(), events(t, tn.ID, 2)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := seq.Submit(ctx, events(t, tn.ID, 1))
		done <- err
	}()
	for i := 0; counter(t, reg, "auditkeep_ingest_backpressure_held_groups_total") == 0; i++ {
		if i == 1000 {
			t.Fatal("the request was never held")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled held request: %v, want context.Canceled", err)
	}
	if got := stored(t, st, tn.ID); got != 3 {
		t.Errorf("stored %d events, want 3", got)
	}
}

// With the bound off, a stopped indexer holds nothing back.
func TestBackpressureOff(t *testing.T) {
	st := openStore(t, "sqlite")
	tn := storetest.NewTenant(t, st, "bp", uuid.Nil)
	x, seq, reg := newPair(t, st, tn.ID, 0, time.Millisecond)
	for i := 0; i < 5; i++ {
		if _, err := seq.Submit(context.Background(), events(t, tn.ID, 10)); err != nil {
			t.Fatal(err)
		}
	}
	if b := x.Behind(); b != 50 {
		t.Errorf("behind = %d, want 50", b)
	}
	if got := counter(t, reg, "auditkeep_ingest_backpressure_held_groups_total"); got != 0 {
		t.Errorf("held groups with the bound off = %v", got)
	}
}

// Under concurrent writers and a running indexer, the lag in the store,
// read right after each commit (no other commit runs then), never exceeds
// the bound plus the group just committed, and nothing is refused.
func TestBackpressureBoundsLagUnderLoad(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		st := openStore(t, engine)
		tn := storetest.NewTenant(t, st, "bp", uuid.Nil)
		const bound = 30
		reg := prometheus.NewRegistry()
		x := ingest.NewIndexer(st, ingest.IndexerConfig{Batch: 10, Delay: 20 * time.Millisecond, Poll: time.Hour}, nil)
		defer x.Close(context.Background())
		var mu sync.Mutex
		var over []string
		seq := ingest.NewSequencer(st, ingest.SequencerConfig{
			MaxGroupEvents: 12, IndexLag: x, MaxIndexLag: bound, IndexLagWait: time.Minute,
			AfterCommit: func(ctx context.Context, reqs []store.AppendRequest, res []store.AppendResult) {
				n := 0
				for _, r := range res {
					n += len(r.Events)
				}
				x.Committed(n)
				lag, err := st.Lag(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					over = append(over, err.Error())
				} else if lag.Events > bound+int64(n) {
					over = append(over, "lag "+itoa(lag.Events)+" after a group of "+itoa(int64(n)))
				}
			},
		}, ingest.NewMetrics(reg))
		const writers, each = 8, 40
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < each; j++ {
					if _, err := seq.Submit(context.Background(), events(t, tn.ID, 1+j%3)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if err := seq.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, o := range over {
			t.Error(o)
		}
		if got := counter(t, reg, "auditkeep_ingest_backpressure_held_groups_total"); got == 0 {
			t.Error("no group was held: the test did not reach the bound")
		}
		want := int64(0)
		for j := 0; j < each; j++ {
			want += writers * int64(1+j%3)
		}
		if got := stored(t, st, tn.ID); got != want {
			t.Errorf("stored %d events, want %d", got, want)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
