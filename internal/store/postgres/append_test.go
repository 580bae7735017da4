package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/postgres"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

// openTwice opens two Stores on one fresh database: two processes, as far
// as the database can tell (separate pools, separate tenant caches).
func openTwice(t *testing.T) (*postgres.Store, *postgres.Store) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	var sts [2]*postgres.Store
	for i := range sts {
		st, err := postgres.Open(context.Background(), dsn, postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		sts[i] = st
	}
	return sts[0], sts[1]
}

// Writers in two processes append groups that span three tenants, in
// varying tenant order. Every tenant's seqs must come out dense and in id
// order: a tenant's ids are drawn under its head lock, as are its seqs.
func TestTwoProcessesWriting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := openTwice(t)
	tenants := []uuid.UUID{
		storetest.NewTenant(t, a, "t0", uuid.Nil).ID,
		storetest.NewTenant(t, a, "t1", uuid.Nil).ID,
		storetest.NewTenant(t, b, "t2", uuid.Nil).ID,
	}
	const writers, groups = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := 0; w < 2*writers; w++ {
		st := []*postgres.Store{a, b}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := 0; g < groups; g++ {
				var reqs []store.AppendRequest
				for r := 0; r < 3; r++ {
					tn := tenants[(w+g+r)%3]
					reqs = append(reqs, store.AppendRequest{Events: []event.Event{
						storetest.NewEvent(t, tn, fmt.Sprintf("w%d-g%d-r%d-a", w, g, r)),
						storetest.NewEvent(t, tenants[(w+r)%3], fmt.Sprintf("w%d-g%d-r%d-b", w, g, r)),
					}})
				}
				res, err := st.Append(ctx, reqs)
				if err == nil {
					for _, r := range res {
						err = errors.Join(err, r.Err)
					}
				}
				if err != nil {
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

	rows, err := a.Pool().Query(ctx, `SELECT id, tenant_pk, seq FROM event_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	next := map[int64]int64{}   // tenant pk → next expected seq
	lastID := map[int64]int64{} // tenant pk → its last id
	var n int64
	seen := map[int64]bool{}
	for rows.Next() {
		var id, pk, seq int64
		if err := rows.Scan(&id, &pk, &seq); err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Fatalf("id %d used twice", id)
		}
		seen[id] = true
		if seq != next[pk] {
			t.Fatalf("tenant %d: event %d has seq %d, want %d: seqs not in id order", pk, id, seq, next[pk])
		}
		next[pk]++
		lastID[pk] = id
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := int64(2 * writers * groups * 3 * 2); n != want {
		t.Errorf("%d events stored, want %d", n, want)
	}
	for _, tn := range tenants {
		c, err := a.Count(ctx, &store.Query{Tenants: []uuid.UUID{tn}})
		if err != nil || c != next[mustPK(t, a, tn)] {
			t.Errorf("count of %s = %d (%v), want %d", tn, c, err, next[mustPK(t, a, tn)])
		}
	}
}

func mustPK(t *testing.T, st *postgres.Store, id uuid.UUID) int64 {
	t.Helper()
	var pk int64
	if err := st.Pool().QueryRow(context.Background(), `SELECT pk FROM tenants WHERE id = $1`, id).Scan(&pk); err != nil {
		t.Fatal(err)
	}
	return pk
}

// The same idempotency key sent through two processes at once is stored
// once; every writer gets that event back.
func TestTwoProcessesSameIdempotencyKey(t *testing.T) {
	t.Parallel()
	a, b := openTwice(t)
	tn := storetest.NewTenant(t, a, "retry", uuid.Nil)
	var wg sync.WaitGroup
	ids := make([]int64, 16)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := storetest.NewEvent(t, tn.ID, "pay")
			e.IdempotencyKey = "once"
			other := storetest.NewEvent(t, tn.ID, fmt.Sprintf("other-%d", i))
			res, err := []*postgres.Store{a, b}[i%2].Append(context.Background(), []store.AppendRequest{{Events: []event.Event{e, other}}})
			if err != nil || res[0].Err != nil {
				t.Errorf("append: %v %v", err, res[0].Err)
				return
			}
			ids[i] = res[0].Events[0].ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("writers got different events for one key: %v", ids)
		}
	}
	if n, err := b.Count(context.Background(), &store.Query{Tenants: []uuid.UUID{tn.ID}}); err != nil || n != int64(len(ids)+1) {
		t.Errorf("count = %d (%v), want %d", n, err, len(ids)+1)
	}
}

// A group whose only new event is a replay writes nothing and draws no id.
func TestReplayDrawsNoID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Open(t)
	tn := storetest.NewTenant(t, st, "r", uuid.Nil)
	e := storetest.FullEvent(t, tn.ID, 1)
	first, err := st.Append(ctx, []store.AppendRequest{{Events: []event.Event{e}}})
	if err != nil || first[0].Err != nil {
		t.Fatal(err, first[0].Err)
	}
	again, err := st.Append(ctx, []store.AppendRequest{{Events: []event.Event{e}}})
	if err != nil || again[0].Err != nil || !again[0].Replayed[0] {
		t.Fatalf("replay: %v %v %v", err, again[0].Err, again[0].Replayed)
	}
	var last int64
	if err := st.Pool().QueryRow(ctx, `SELECT last_value FROM event_ids`).Scan(&last); err != nil || last != first[0].Events[0].ID {
		t.Errorf("event_ids.last_value = %d (%v) after a replay, want %d", last, err, first[0].Events[0].ID)
	}
}

// An event naming one target twice is stored (the target index holds it
// once), and a payload lands in event_payloads.
func TestDuplicateTargetAndPayload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Open(t)
	tn := storetest.NewTenant(t, st, "d", uuid.Nil)
	e := storetest.FullEvent(t, tn.ID, 1)
	e.Targets = append(e.Targets, e.Targets[0])
	res, err := st.Append(ctx, []store.AppendRequest{{Events: []event.Event{e}}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	got, err := st.Event(ctx, []uuid.UUID{tn.ID}, store.EventRef{ID: res[0].Events[0].ID})
	if err != nil || len(got.Targets) != 3 {
		t.Fatalf("targets = %v (%v), want all three as sent", got.Targets, err)
	}
	if _, err := st.IndexBatch(ctx, 10); err != nil {
		t.Fatal(err)
	}
	var targets, payloads int
	if err := st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM event_targets), (SELECT count(*) FROM event_payloads)`).Scan(&targets, &payloads); err != nil {
		t.Fatal(err)
	}
	if targets != 2 || payloads != 1 {
		t.Errorf("event_targets = %d rows, event_payloads = %d; want 2 and 1", targets, payloads)
	}
}

// BenchmarkAppend commits groups of 10 requests of 10 full events each,
// the shape group commit produces under load.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	st := pgtest.Open(b)
	tn := storetest.NewTenant(b, st, "bench", uuid.Nil)
	proto := storetest.FullEvent(b, tn.ID, 1)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		reqs := make([]store.AppendRequest, 10)
		for r := range reqs {
			for range 10 {
				e := proto
				e.UUID, e.IdempotencyKey = uuid.Must(uuid.NewV7()), ""
				reqs[r].Events = append(reqs[r].Events, e)
			}
		}
		if _, err := st.Append(ctx, reqs); err != nil {
			b.Fatal(err)
		}
		n += 100
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// TestTenantsCommitInParallel: an append holds only its own tenants'
// heads. While a group of tenant A is in flight (its head locked, as an
// open append holds it) a second process's groups of tenant B commit, and
// A's next group waits for A's head alone; both tenants' seqs stay dense.
func TestTenantsCommitInParallel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := openTwice(t)
	ta := storetest.NewTenant(t, a, "A", uuid.Nil).ID
	tb := storetest.NewTenant(t, b, "B", uuid.Nil).ID
	for _, st := range []*postgres.Store{a, b} {
		tn := map[*postgres.Store]uuid.UUID{a: ta, b: tb}[st]
		if _, err := st.Append(ctx, []store.AppendRequest{{Events: []event.Event{storetest.NewEvent(t, tn, "first")}}}); err != nil {
			t.Fatal(err)
		}
	}
	// The in-flight group of A: its head row locked in an open transaction.
	held, err := a.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback(ctx)
	if _, err := held.Exec(ctx, `SELECT 1 FROM tenant_heads WHERE tenant_pk = $1 FOR UPDATE`, mustPK(t, a, ta)); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan error, 1)
	go func() {
		_, err := a.Append(ctx, []store.AppendRequest{{Events: []event.Event{storetest.NewEvent(t, ta, "behind the lock")}}})
		waiting <- err
	}()
	for i := 0; i < 20; i++ {
		res, err := b.Append(ctx, []store.AppendRequest{{Events: []event.Event{storetest.NewEvent(t, tb, fmt.Sprint("b", i))}}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("tenant B while A is locked: %v %v", err, res[0].Err)
		}
		if got := res[0].Events[0].Seq; got != int64(i+1) {
			t.Fatalf("tenant B seq = %d, want %d", got, i+1)
		}
	}
	select {
	case err := <-waiting:
		t.Fatalf("tenant A's append finished while its head was locked: %v", err)
	default:
	}
	if err := held.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-waiting; err != nil {
		t.Fatalf("tenant A after the lock: %v", err)
	}
	if n, err := a.Count(ctx, &store.Query{Tenants: []uuid.UUID{ta}}); err != nil || n != 2 {
		t.Errorf("tenant A has %d events (%v), want 2", n, err)
	}
}
