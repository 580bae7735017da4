package query_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
	"github.com/auditkeep/auditkeep/internal/store/sqlite"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

var cursorKey = []byte("0123456789abcdef0123456789abcdef")

// bothEngines runs fn on a fresh SQLite store and a fresh PostgreSQL
// database.
func bothEngines(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, pgtest.Open(t))
	})
}

// appendAt stores events of tenant with the given actions, occurred_at
// spread from at, one second apart.
func appendAt(t *testing.T, st store.Store, tenant uuid.UUID, at time.Time, actions ...string) []event.Event {
	t.Helper()
	evs := make([]event.Event, len(actions))
	for i, a := range actions {
		evs[i] = storetest.NewEvent(t, tenant, a)
		evs[i].OccurredAt = at.Add(time.Duration(i) * time.Second)
	}
	res, err := st.Append(context.Background(), []store.AppendRequest{{Events: evs}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("append: %v %v", err, res[0].Err)
	}
	return res[0].Events
}

// TestCursorWalkWhileWriting walks a tenant's log with cursors, in each
// sort, while events keep arriving between pages, some of them dated
// before the walk's position: every event that existed when the walk began
// comes back exactly once, and no event twice.
func TestCursorWalkWhileWriting(t *testing.T) {
	t.Parallel()
	bothEngines(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, st, "walk", uuid.Nil)
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		actions := []string{"a.one", "a.two", "b.three"}
		var old []event.Event
		for range 4 {
			names := make([]string, 60)
			for i := range names {
				names[i] = actions[i%len(actions)]
			}
			// Repeat timestamps across batches so ties on occurred_at are
			// broken by id.
			old = append(old, appendAt(t, st, tn.ID, base, names...)...)
		}
		en := query.New(st, cursorKey)
		rnd := rand.New(rand.NewPCG(1, 2))
		for _, s := range []store.Sort{
			{Desc: true}, {}, {Field: store.ByActorType, Desc: true}, {Field: store.ByActionType},
		} {
			seen := map[int64]int{}
			req := &query.Request{Scope: []uuid.UUID{tn.ID}, Sort: s, Kind: query.Cursor, Limit: 17}
			for pages := 0; ; pages++ {
				if pages > 1000 {
					t.Fatalf("sort %+v: the walk does not end", s)
				}
				res, err := en.Run(ctx, req)
				if err != nil {
					t.Fatalf("sort %+v: %v", s, err)
				}
				for _, e := range res.Events {
					seen[e.ID]++
				}
				if res.NextCursor == "" {
					break
				}
				// New events land before, at and after the walk's position.
				at := base.Add(time.Duration(rnd.IntN(120)-30) * time.Second)
				appendAt(t, st, tn.ID, at, actions[rnd.IntN(len(actions))], actions[rnd.IntN(len(actions))])
				req.Cursor = res.NextCursor
				req.Limit = 5 + rnd.IntN(20) // a client may change the page size
			}
			for _, e := range old {
				if seen[e.ID] != 1 {
					t.Errorf("sort %+v: event %d seen %d times, want once", s, e.ID, seen[e.ID])
				}
			}
			for id, n := range seen {
				if n > 1 {
					t.Errorf("sort %+v: event %d seen %d times", s, id, n)
				}
			}
		}
	})
}

// TestCursorTampering: a cursor only continues the query it was made for.
// Another tenant, another filter or sort, an edited body or signature, or
// another engine key all get the same field error naming the cursor.
func TestCursorTampering(t *testing.T) {
	t.Parallel()
	bothEngines(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		a := storetest.NewTenant(t, st, "a", uuid.Nil)
		b := storetest.NewTenant(t, st, "b", uuid.Nil)
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		appendAt(t, st, a.ID, base, "x", "x", "x", "y", "y")
		appendAt(t, st, b.ID, base, "x", "x", "x", "y", "y")
		en := query.New(st, cursorKey)
		first := &query.Request{Scope: []uuid.UUID{a.ID}, Filter: store.Filter{Actions: []string{"x"}}, Sort: store.Sort{Desc: true}, Kind: query.Cursor, Limit: 1}
		res, err := en.Run(ctx, first)
		if err != nil || res.NextCursor == "" {
			t.Fatalf("first page: %v, cursor %q", err, res.NextCursor)
		}
		c := res.NextCursor
		// The untouched cursor goes on.
		next := *first
		next.Cursor = c
		if _, err := en.Run(ctx, &next); err != nil {
			t.Fatalf("the cursor's own query: %v", err)
		}
		flip := func(s string, i int) string {
			bs := []byte(s)
			if bs[i] == 'A' {
				bs[i] = 'B'
			} else {
				bs[i] = 'A'
			}
			return string(bs)
		}
		cases := map[string]func(r *query.Request){
			"another tenant":     func(r *query.Request) { r.Scope = []uuid.UUID{b.ID} },
			"a wider scope":      func(r *query.Request) { r.Scope = []uuid.UUID{a.ID, b.ID} },
			"another filter":     func(r *query.Request) { r.Filter.Actions = []string{"y"} },
			"no filter":          func(r *query.Request) { r.Filter = store.Filter{} },
			"another order":      func(r *query.Request) { r.Sort.Desc = false },
			"another sort field": func(r *query.Request) { r.Sort.Field = store.ByActorType },
			"edited body":        func(r *query.Request) { r.Cursor = flip(c, 2) },
			"edited signature":   func(r *query.Request) { r.Cursor = flip(c, len(c)-2) },
			"no signature":       func(r *query.Request) { r.Cursor = c[:len(c)-23] },
			"garbage":            func(r *query.Request) { r.Cursor = "not a cursor" },
		}
		for name, change := range cases {
			r := *first
			r.Cursor = c
			change(&r)
			_, err := en.Run(ctx, &r)
			var fe *event.FieldError
			if !errors.As(err, &fe) || fe.Field != "cursor" || !errors.Is(err, event.ErrInvalid) {
				t.Errorf("%s: got %v, want a field error naming the cursor", name, err)
			}
		}
		// An engine with another key (another deployment) refuses it too.
		other := query.New(st, []byte("another key, another deployment!"))
		if _, err := other.Run(ctx, &next); err == nil {
			t.Error("a cursor signed with another key was accepted")
		}
	})
}
