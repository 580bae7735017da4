package notary_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/notary"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

// commit appends n events of tenant and tells n about them as the
// sequencer does.
func commit(t *testing.T, st store.Store, n *notary.Notary, tenant uuid.UUID, k int) {
	t.Helper()
	reqs := []store.AppendRequest{{}}
	for range k {
		reqs[0].Events = append(reqs[0].Events, storetest.NewEvent(t, tenant, "act"))
	}
	res, err := st.Append(context.Background(), reqs)
	if err != nil || res[0].Err != nil {
		t.Fatalf("append: %v %v", err, res)
	}
	n.Committed(context.Background(), reqs, res)
}

func checkpointCount(t *testing.T, st store.Store, tenant uuid.UUID) int {
	t.Helper()
	cps, err := st.Checkpoints(context.Background(), tenant, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	return len(cps)
}

// TestCommittedDoesNotSign: the after-commit hook only wakes the signer,
// even with a zero interval (sign after every commit): the writers of a
// group are answered before its checkpoint is signed, by Run.
func TestCommittedDoesNotSign(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		st := openStore(t, engine)
		n, err := notary.Open(ctx, st, notary.Config{MasterKey: randomKey(t)})
		if err != nil {
			t.Fatal(err)
		}
		tn := storetest.NewTenant(t, st, "t", uuid.Nil)
		commit(t, st, n, tn.ID, 3)
		if c := checkpointCount(t, st, tn.ID); c != 0 {
			t.Fatalf("%d checkpoints signed inside the after-commit hook", c)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); n.Run(rctx) }()
		defer func() { cancel(); <-done }()
		deadline := time.Now().Add(10 * time.Second)
		for {
			cps, err := st.Checkpoints(ctx, tn.ID, 0, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(cps) == 1 && cps[0].Size == 3 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Run did not sign the committed events: %+v", cps)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// TestReadAfterWriteSignsAtMostOncePerInterval: reading the checkpoint or
// proving an event right after each write does not sign a checkpoint per
// read; within the interval a read waits for the next one, and SignLatest
// (the ?fresh=true of the API) signs one at once.
func TestReadAfterWriteSignsAtMostOncePerInterval(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		st := openStore(t, engine)
		// An interval no test run reaches; Run is not started, so only
		// reads could sign.
		n, err := notary.Open(ctx, st, notary.Config{MasterKey: randomKey(t), Interval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		tn := storetest.NewTenant(t, st, "t", uuid.Nil)
		commit(t, st, n, tn.ID, 2)
		// No checkpoint yet: the first read signs one.
		first, err := n.Checkpoint(ctx, tn.ID, 0)
		if err != nil || first.Size != 2 {
			t.Fatalf("first checkpoint: %+v, %v", first, err)
		}
		for i := range 5 {
			commit(t, st, n, tn.ID, 1)
			short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			_, err := n.Checkpoint(short, tn.ID, 0)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("read %d within the interval: %v, want to wait for the next checkpoint", i, err)
			}
			short, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
			_, err = n.ProveInclusion(short, tn.ID, int64(2+i), 0)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("proof %d within the interval: %v, want to wait for the next checkpoint", i, err)
			}
			// An event the latest checkpoint covers is proved at once.
			if p, err := n.ProveInclusion(ctx, tn.ID, 1, 0); err != nil || p.Checkpoint.Size != 2 {
				t.Fatalf("proof of a covered event: %+v, %v", p, err)
			}
		}
		if c := checkpointCount(t, st, tn.ID); c != 1 {
			t.Errorf("%d checkpoints after 5 writes each read at once, want 1", c)
		}
		fresh, err := n.SignLatest(ctx, tn.ID)
		if err != nil || fresh.Size != 7 {
			t.Fatalf("fresh checkpoint: %+v, %v", fresh, err)
		}
		if p, err := n.ProveInclusion(ctx, tn.ID, 6, 0); err != nil || p.Checkpoint.Size != 7 {
			t.Fatalf("proof after a fresh checkpoint: %+v, %v", p, err)
		}
		// A seq past the log is not waited for.
		if _, err := n.ProveInclusion(ctx, tn.ID, 99, 0); err == nil {
			t.Fatal("proof of a seq past the log")
		}
	})
}

// TestReadSignsOnceTheIntervalIsUp: with a short interval and no Run, a
// read of the latest checkpoint after a write is answered with one
// covering the write, signed when the interval is up.
func TestReadSignsOnceTheIntervalIsUp(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		st := openStore(t, engine)
		n, err := notary.Open(ctx, st, notary.Config{MasterKey: randomKey(t), Interval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		tn := storetest.NewTenant(t, st, "t", uuid.Nil)
		for i := 1; i <= 3; i++ {
			commit(t, st, n, tn.ID, 1)
			cp, err := n.Checkpoint(ctx, tn.ID, 0)
			if err != nil || cp.Size != int64(i) {
				t.Fatalf("checkpoint after write %d: %+v, %v", i, cp, err)
			}
		}
	})
}
