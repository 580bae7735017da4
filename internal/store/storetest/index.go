package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// indexCorpus is events that every kind of filter can tell apart, some
// fields left empty as real writers leave them.
func indexCorpus(t *testing.T, tenant uuid.UUID, n int) []event.Event {
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	var evs []event.Event
	for i := 0; i < n; i++ {
		e := NewEvent(t, tenant, []string{"create", "update", "lookup"}[i%3])
		e.OccurredAt = base.Add(time.Duration(i%7) * time.Minute)
		e.Category = []string{"", "Identity", "Cpr"}[i%3]
		e.ExternalRef = []string{"", "ref-1", "ref-2", ""}[i%4]
		e.Actor = event.Actor{Type: []string{"", "ApiKey", "User"}[i%3], ID: fmt.Sprint("a", i%5), Email: []string{"", "Anna@Example.dk"}[i%2]}
		if i%4 != 0 {
			e.Targets = []event.Target{{Type: []string{"kyc_case", "Merchant"}[i%2], ID: fmt.Sprint(i % 3)}, {Type: "kyc_case", ID: "42"}}
		}
		if i%3 == 0 {
			e.Labels = map[string]string{"risk_level": []string{"low", "high"}[i%2]}
		}
		e.SessionID = []string{"", "s-1"}[i%2]
		evs = append(evs, e)
	}
	return evs
}

// indexQueries are queries over every indexed shape, each sort and both
// page kinds.
func indexQueries(tenants []uuid.UUID) []store.Query {
	filters := []store.Filter{
		{},
		{Actions: []string{"create"}},
		{ActionPrefixes: []string{"up"}},
		{Categories: []string{""}},
		{ExternalRefs: []string{"ref-1"}},
		{ActorIDs: []string{"a1", "a3"}},
		{ActorTypes: []string{""}},
		{ActorEmailContains: "anna@EXAMPLE"},
		{SessionIDs: []string{"s-1"}},
		{Targets: []store.TargetRef{{Type: "kyc_case", ID: "42"}}},
		{Targets: []store.TargetRef{{Type: "Merchant", ID: "1"}}},
		{PrimaryTargetTypes: []string{"kyc_case"}},
		{PrimaryTargetTypePrefixes: []string{"Mer"}},
		{Labels: map[string][]string{"risk_level": {"high"}}},
		{OccurredFrom: time.Date(2025, 3, 1, 0, 2, 0, 0, time.UTC), OccurredUntil: time.Date(2025, 3, 1, 0, 5, 0, 0, time.UTC)},
		{Actions: []string{"update"}, Labels: map[string][]string{"risk_level": {"low", "high"}}},
	}
	var qs []store.Query
	for i, f := range filters {
		for _, s := range []store.Sort{{Desc: true}, {Field: store.ByActorType}, {Field: store.ByTargetType, Desc: true}, {Field: store.ByActionType}} {
			qs = append(qs, store.Query{Tenants: tenants, Filter: f, Sort: s, Limit: 3 + i%4})
		}
	}
	return qs
}

// answers runs every query: each offset page and a keyset walk, and the
// count. It is what a reader sees, to compare across index states.
func answers(t *testing.T, st store.Store, qs []store.Query) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, q := range qs {
		var b strings.Builder
		n, err := st.Count(ctx, &q)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%+v %+v count=%d offset:", q.Filter, q.Sort, n)
		for off := 0; off <= int(n); off += q.Limit {
			p := q
			p.Offset = off
			page, err := st.Find(ctx, &p)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				fmt.Fprintf(&b, " %d", e.ID)
			}
		}
		b.WriteString(" keyset:")
		p := q
		for {
			page, err := st.Find(ctx, &p)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				fmt.Fprintf(&b, " %d", e.ID)
			}
			if len(page) < p.Limit {
				break
			}
			k := store.KeyOf(p.Sort.Field, &page[len(page)-1])
			p.After = &k
		}
		out = append(out, b.String())
	}
	return out
}

// bruteForce is what answers must say for the stored events.
func bruteForce(qs []store.Query, stored []event.Event) []string {
	var out []string
	for _, q := range qs {
		var want []event.Event
		for i := range stored {
			if slices.Contains(q.Tenants, stored[i].TenantID) && q.Filter.Match(&stored[i], strings.ToLower) {
				want = append(want, stored[i])
			}
		}
		slices.SortFunc(want, func(a, b event.Event) int {
			c := store.KeyOf(q.Sort.Field, &a).Compare(q.Sort.Field, store.KeyOf(q.Sort.Field, &b))
			if q.Sort.Desc {
				c = -c
			}
			return c
		})
		var b strings.Builder
		fmt.Fprintf(&b, "%+v %+v count=%d offset:", q.Filter, q.Sort, len(want))
		for _, e := range want {
			fmt.Fprintf(&b, " %d", e.ID)
		}
		b.WriteString(" keyset:")
		for _, e := range want {
			fmt.Fprintf(&b, " %d", e.ID)
		}
		out = append(out, b.String())
	}
	return out
}

func indexAll(t *testing.T, st store.Store) int {
	t.Helper()
	total := 0
	for {
		n, err := st.IndexBatch(context.Background(), 7)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

// testLaggingIndex: with the indexer stopped, behind or current, every
// filter finds every event and totals are exact; the lag says how far
// behind the indexer is.
func testLaggingIndex(t *testing.T, st store.Store) {
	ctx := context.Background()
	tn := NewTenant(t, st, "lag", uuid.Nil)
	child := NewTenant(t, st, "lag-child", tn.ID)
	scope := []uuid.UUID{tn.ID, child.ID}
	qs := indexQueries(scope)
	var stored []event.Event
	check := func(state string, wantLag int64) {
		t.Helper()
		if diff := cmp.Diff(bruteForce(qs, stored), answers(t, st, qs)); diff != "" {
			t.Fatalf("%s (-brute force +store):\n%s", state, diff)
		}
		lag, err := st.Lag(ctx)
		if err != nil || lag.Events != wantLag || (wantLag > 0) == lag.Oldest.IsZero() {
			t.Errorf("%s: lag = %+v, %v; want %d events", state, lag, err, wantLag)
		}
		types, err := st.TargetTypes(ctx, scope)
		want := []string{}
		for _, e := range stored {
			if pt := e.PrimaryTarget().Type; pt != "" && !slices.Contains(want, pt) {
				want = append(want, pt)
			}
		}
		slices.Sort(want)
		if err != nil || !slices.Equal(types, want) {
			t.Errorf("%s: target types = %v, %v; want %v", state, types, err, want)
		}
	}
	stored = append(stored, appendOne(t, st, indexCorpus(t, tn.ID, 12)...)...)
	check("nothing indexed", 12)
	if n, err := st.IndexBatch(ctx, 5); err != nil || n != 5 {
		t.Fatalf("index batch = %d, %v; want 5", n, err)
	}
	check("partly indexed", 7)
	stored = append(stored, appendOne(t, st, indexCorpus(t, child.ID, 9)...)...)
	check("two tenants behind", 16)
	if n := indexAll(t, st); n != 16 {
		t.Fatalf("indexed %d, want 16", n)
	}
	check("all indexed", 0)
	stored = append(stored, appendOne(t, st, indexCorpus(t, tn.ID, 10)...)...)
	check("new events after an indexed batch", 10)
	// The single-event read never waits for the index.
	last := stored[len(stored)-1]
	if e, err := st.Event(ctx, scope, store.EventRef{UUID: last.UUID}); err != nil || e.ID != last.ID {
		t.Errorf("event by uuid in the tail = %d, %v; want %d", e.ID, err, last.ID)
	}
}

// testReindex: clearing the indexes and folding the whole log again
// answers every query as the incremental index did.
func testReindex(t *testing.T, st store.Store) {
	tn := NewTenant(t, st, "re", uuid.Nil)
	qs := indexQueries([]uuid.UUID{tn.ID})
	for i := 0; i < 3; i++ {
		appendOne(t, st, indexCorpus(t, tn.ID, 8)...)
		indexAll(t, st)
	}
	before := answers(t, st, qs)
	if err := st.ClearIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	if lag, err := st.Lag(context.Background()); err != nil || lag.Events != 24 {
		t.Fatalf("lag after clear = %+v, %v; want 24 events", lag, err)
	}
	if diff := cmp.Diff(before, answers(t, st, qs)); diff != "" {
		t.Fatalf("cleared index (-incremental +tail):\n%s", diff)
	}
	if n := indexAll(t, st); n != 24 {
		t.Fatalf("reindexed %d, want 24", n)
	}
	if diff := cmp.Diff(before, answers(t, st, qs)); diff != "" {
		t.Fatalf("reindexed (-incremental +reindexed):\n%s", diff)
	}
}

// testReadYourWrites: under concurrent writers and an indexer running
// alongside, an acknowledged event is found at once by a filtered read
// and counted by a filtered total.
func testReadYourWrites(t *testing.T, st store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tn := NewTenant(t, st, "ryw", uuid.Nil)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the indexer
		defer wg.Done()
		for ctx.Err() == nil {
			if _, err := st.IndexBatch(ctx, 5); err != nil && ctx.Err() == nil {
				t.Error(err)
				return
			}
		}
	}()
	var writers sync.WaitGroup
	for w := 0; w < 4; w++ {
		writers.Add(1)
		go func(w int) {
			defer writers.Done()
			for i := 0; i < 15; i++ {
				e := NewEvent(t, tn.ID, "ryw")
				e.ExternalRef = fmt.Sprintf("w%d-%d", w, i)
				e.Targets = []event.Target{{Type: "writer", ID: fmt.Sprint(w)}}
				res, err := st.Append(ctx, []store.AppendRequest{{Events: []event.Event{e}}})
				if err != nil || res[0].Err != nil {
					t.Errorf("append: %v %v", err, res[0].Err)
					return
				}
				got := res[0].Events[0]
				page, err := st.Find(ctx, &store.Query{Tenants: []uuid.UUID{tn.ID}, Filter: store.Filter{ExternalRefs: []string{e.ExternalRef}}, Limit: 2, Sort: store.Sort{Desc: true}})
				if err != nil || len(page) != 1 || page[0].ID != got.ID {
					t.Errorf("read after write of %d: %v, %v", got.ID, page, err)
					return
				}
				n, err := st.Count(ctx, &store.Query{Tenants: []uuid.UUID{tn.ID}, Filter: store.Filter{Targets: []store.TargetRef{{Type: "writer", ID: fmt.Sprint(w)}}}})
				if err != nil || n != int64(i+1) {
					t.Errorf("writer %d total after %d writes = %d, %v", w, i+1, n, err)
					return
				}
			}
		}(w)
	}
	writers.Wait()
	cancel()
	wg.Wait()
}

// CheckReindexRows: the rows a reindex writes to every derived table are
// exactly those the incremental indexer wrote, in batches of every size,
// after groups of every size. dump lists every derived row of the store
// (the engine's own SQL), in a fixed order.
func CheckReindexRows(t *testing.T, st store.Store, dump func() []string) {
	t.Helper()
	ctx := context.Background()
	tn := NewTenant(t, st, "rows", uuid.Nil)
	other := NewTenant(t, st, "rows-other", uuid.Nil)
	for i, n := range []int{1, 9, 4, 17} {
		appendOne(t, st, indexCorpus(t, []uuid.UUID{tn.ID, other.ID}[i%2], n)...)
		if _, err := st.IndexBatch(ctx, 3+i); err != nil {
			t.Fatal(err)
		}
	}
	indexAll(t, st)
	incremental := dump()
	if len(incremental) < 31 {
		t.Fatalf("only %d derived rows: the dump misses tables", len(incremental))
	}
	if err := st.ClearIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if rows := dump(); len(rows) != 0 {
		t.Fatalf("%d derived rows left after ClearIndex", len(rows))
	}
	for {
		n, err := st.IndexBatch(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if diff := cmp.Diff(incremental, dump()); diff != "" {
		t.Errorf("derived rows (-incremental +reindexed):\n%s", diff)
	}
}
