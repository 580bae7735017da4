package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Open returns a fresh, empty, migrated store; it registers its own cleanup.
type Open func(t *testing.T) store.Store

// Run runs the whole suite against the engine open returns.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"Tenants", testTenants},
		{"Keys", testKeys},
		{"AppendRoundTrip", testAppendRoundTrip},
		{"AppendAssignsIDsAndSeqs", testAppendAssigns},
		{"Idempotency", testIdempotency},
		{"ConflictFailsOneRequest", testConflict},
		{"UnknownTenantFailsOneRequest", testUnknownTenant},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentIdempotentRetries", testConcurrentIdempotent},
		{"TenantIsolation", testIsolation},
		{"FindAndCount", testFindAndCount},
		{"Secret", testSecret},
		{"Ledger", testLedger},
		{"LaggingIndex", testLaggingIndex},
		{"Reindex", testReindex},
		{"ReadYourWrites", testReadYourWrites},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// TB is what the helpers need of a test: testing.TB and rapid.T both fit.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// NewTenant creates a tenant for tests.
func NewTenant(t TB, st store.Store, name string, parent uuid.UUID) store.Tenant {
	t.Helper()
	tn := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: name, Kind: "test", Parent: parent, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := st.CreateTenant(context.Background(), &tn); err != nil {
		t.Fatalf("create tenant %s: %v", name, err)
	}
	return tn
}

// NewEvent returns a normalised event of tenant with the given action.
func NewEvent(t TB, tenant uuid.UUID, action string) event.Event {
	t.Helper()
	e := event.Event{Action: action, TenantID: tenant, UUID: uuid.Must(uuid.NewV7())}
	if err := event.Normalize(&e, time.Now()); err != nil {
		t.Fatal(err)
	}
	return e
}

func appendOne(t TB, st store.Store, evs ...event.Event) []event.Event {
	t.Helper()
	res, err := st.Append(context.Background(), []store.AppendRequest{{Events: evs}})
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	if res[0].Err != nil {
		t.Fatalf("append request: %v", res[0].Err)
	}
	return res[0].Events
}

func testTenants(t *testing.T, st store.Store) {
	ctx := context.Background()
	root := NewTenant(t, st, "root", uuid.Nil)
	child := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "child", Kind: "merchant", Ref: "m-1", Parent: root.ID, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := st.CreateTenant(ctx, &child); err != nil {
		t.Fatal(err)
	}
	grand := NewTenant(t, st, "grandchild", child.ID)
	other := NewTenant(t, st, "other", uuid.Nil)

	got, err := st.Tenant(ctx, child.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(child, got); diff != "" {
		t.Errorf("tenant by id (-want +got):\n%s", diff)
	}
	if got, err = st.Tenant(ctx, "m-1"); err != nil || got.ID != child.ID {
		t.Errorf("tenant by ref = %v, %v; want %s", got.ID, err, child.ID)
	}
	if _, err := st.Tenant(ctx, "no-such-ref"); !errors.Is(err, event.ErrNotFound) {
		t.Errorf("unknown tenant: err = %v, want ErrNotFound", err)
	}
	dup := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "dup", Ref: "m-1", CreatedAt: time.Now()}
	if err := st.CreateTenant(ctx, &dup); !errors.Is(err, event.ErrConflict) {
		t.Errorf("duplicate ref: err = %v, want ErrConflict", err)
	}
	orphan := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "orphan", Parent: uuid.Must(uuid.NewV7()), CreatedAt: time.Now()}
	if err := st.CreateTenant(ctx, &orphan); !errors.Is(err, event.ErrNotFound) {
		t.Errorf("missing parent: err = %v, want ErrNotFound", err)
	}
	sub, err := st.Subtree(ctx, root.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uuid.UUID{root.ID, child.ID, grand.ID}, sub, sortUUIDs); diff != "" {
		t.Errorf("subtree of root (-want +got):\n%s", diff)
	}
	if sub, _ = st.Subtree(ctx, child.ID); len(sub) != 2 {
		t.Errorf("subtree of child = %v, want child and grandchild", sub)
	}
	if sub, _ = st.Subtree(ctx, other.ID); len(sub) != 1 || sub[0] != other.ID {
		t.Errorf("subtree of other = %v, want only itself", sub)
	}
	all, err := st.Tenants(ctx)
	if err != nil || len(all) != 4 {
		t.Errorf("tenants = %d, %v; want 4", len(all), err)
	}
}

var sortUUIDs = cmpopts.SortSlices(func(a, b uuid.UUID) bool { return a.String() < b.String() })

func testKeys(t *testing.T, st store.Store) {
	ctx := context.Background()
	tn := NewTenant(t, st, "keys", uuid.Nil)
	k := store.Key{
		ID: uuid.Must(uuid.NewV7()), TenantID: tn.ID, Name: "ci", Prefix: "ak_abcd",
		Hash: []byte("0123456789abcdef0123456789abcdef"), Scopes: []string{"events:read", "events:write"},
		AllowIPs:  []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond),
	}
	if err := st.CreateKey(ctx, &k); err != nil {
		t.Fatal(err)
	}
	got, err := st.KeyByHash(ctx, k.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(k, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("key by hash (-want +got):\n%s", diff)
	}
	if _, err := st.KeyByHash(ctx, []byte("nope")); !errors.Is(err, event.ErrNotFound) {
		t.Errorf("unknown hash: err = %v, want ErrNotFound", err)
	}
	bad := k
	bad.ID, bad.TenantID = uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	if err := st.CreateKey(ctx, &bad); !errors.Is(err, event.ErrNotFound) {
		t.Errorf("key of unknown tenant: err = %v, want ErrNotFound", err)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	if err := st.RevokeKey(ctx, k.ID, at); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeKey(ctx, k.ID, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ = st.KeyByHash(ctx, k.Hash)
	if !got.RevokedAt.Equal(at) {
		t.Errorf("revoked at = %v, want the first revocation %v", got.RevokedAt, at)
	}
	if err := st.RevokeKey(ctx, uuid.Must(uuid.NewV7()), at); !errors.Is(err, event.ErrNotFound) {
		t.Errorf("revoke unknown: err = %v, want ErrNotFound", err)
	}
	keys, err := st.Keys(ctx, tn.ID)
	if err != nil || len(keys) != 1 {
		t.Errorf("keys of tenant = %d, %v; want 1", len(keys), err)
	}
	if keys, _ := st.Keys(ctx, uuid.Nil); len(keys) < 1 {
		t.Errorf("all keys = %d, want ≥ 1", len(keys))
	}
}

// FullEvent returns an event with every field set, normalised.
func FullEvent(t TB, tenant uuid.UUID, i int) event.Event {
	t.Helper()
	e := event.Event{
		IdempotencyKey: fmt.Sprintf("idem-%d-%s", i, uuid.NewString()),
		UUID:           uuid.Must(uuid.NewV7()),
		OccurredAt:     time.Date(2025, 3, 10, 9, 15, 0, 123456789, time.UTC).Add(time.Duration(i) * time.Minute),
		Category:       "Rofus", Action: "evaluation", ActionType: event.Passive, Status: event.Failure, Level: 2,
		Summary: "GamblerStatus=NotRegistered, IsMinor=False", Details: "long\ndetails <&>",
		Actor:       event.Actor{Type: "user", ID: "u-1", Name: "Martin Hansen", Email: "martin@example.com"},
		Targets:     []event.Target{{Type: "kyc_answer", ID: "7", Name: "answer"}, {Type: "kyc_case", ID: "42"}},
		Subject:     event.Subject{Type: "person", ID: "p-9"},
		ExternalRef: "customer-ref-001", Context: "player-login", RequestID: "req-1", SessionID: "sess-1",
		Channel: "API", Source: "portal",
		Changes: []event.Change{{Field: "status", Old: []byte(`"PENDING_REVIEW"`), New: []byte(`"REVIEWED"`)},
			{Field: "score", Old: nil, New: []byte(`{"b": [1, 2.50], "a": "<x>"}`)}},
		Reason:   "checked by phone",
		Labels:   map[string]string{"workflow_name": "safe_harbour_1+1", "risk_level": "LOW"},
		Metadata: []byte(`{"z": 1, "a": {"y": null, "b": "é\u0001"}}`),
		Payload:  []byte(`{"cpr": "0101701234"}`),
		TenantID: tenant,
	}
	if err := event.Normalize(&e, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.CommitPayload(randReader{}); err != nil {
		t.Fatal(err)
	}
	return e
}

type randReader struct{}

func (randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i * 7)
	}
	return len(p), nil
}

// ignoreWriteOnly drops what reads never return: the payload and its salt.
var ignoreWriteOnly = cmpopts.IgnoreFields(event.Event{}, "Payload", "PayloadSalt")

func testAppendRoundTrip(t *testing.T, st store.Store) {
	ctx := context.Background()
	tn := NewTenant(t, st, "rt", uuid.Nil)
	in := FullEvent(t, tn.ID, 1)
	out := appendOne(t, st, in)[0]
	if out.ID <= 0 || out.Seq != 0 || out.RecordedAt.IsZero() {
		t.Fatalf("assigned id=%d seq=%d recorded_at=%v", out.ID, out.Seq, out.RecordedAt)
	}
	got, err := st.Event(ctx, []uuid.UUID{tn.ID}, store.EventRef{ID: out.ID})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out, got, ignoreWriteOnly, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("read back (-appended +read):\n%s", diff)
	}
	if string(got.Metadata) != `{"a":{"b":"é\u0001","y":null},"z":1}` {
		t.Errorf("metadata = %s, want canonical form", got.Metadata)
	}
	if !bytes.Equal(event.LeafData(&out), event.LeafData(&got)) {
		t.Errorf("leaf data of read-back event differs from the appended one")
	}
	byUUID, err := st.Event(ctx, []uuid.UUID{tn.ID}, store.EventRef{UUID: out.UUID})
	if err != nil || byUUID.ID != out.ID {
		t.Errorf("by uuid = %d, %v; want %d", byUUID.ID, err, out.ID)
	}
	// Microsecond precision survives.
	if got.OccurredAt.Nanosecond()%1000 != 0 || got.OccurredAt.Nanosecond() != 123456000 {
		t.Errorf("occurred_at = %v, want .123456", got.OccurredAt)
	}
}

func testAppendAssigns(t *testing.T, st store.Store) {
	a := NewTenant(t, st, "a", uuid.Nil)
	b := NewTenant(t, st, "b", uuid.Nil)
	var lastID int64
	for round := 0; round < 3; round++ {
		res, err := st.Append(context.Background(), []store.AppendRequest{
			{Events: []event.Event{NewEvent(t, a.ID, "x"), NewEvent(t, b.ID, "y")}},
			{Events: []event.Event{NewEvent(t, a.ID, "z")}},
		})
		if err != nil {
			t.Fatal(err)
		}
		evs := append(res[0].Events, res[1].Events...)
		for _, e := range evs {
			if e.ID <= lastID {
				t.Fatalf("id %d not above %d", e.ID, lastID)
			}
			lastID = e.ID
		}
		if got, want := []int64{evs[0].Seq, evs[1].Seq, evs[2].Seq}, []int64{int64(2 * round), int64(round), int64(2*round + 1)}; !cmp.Equal(got, want) {
			t.Errorf("round %d: seqs = %v, want %v", round, got, want)
		}
	}
}

func testIdempotency(t *testing.T, st store.Store) {
	ctx := context.Background()
	a := NewTenant(t, st, "a", uuid.Nil)
	b := NewTenant(t, st, "b", uuid.Nil)
	e := NewEvent(t, a.ID, "create")
	e.IdempotencyKey = "k1"
	first := appendOne(t, st, e)[0]

	again := NewEvent(t, a.ID, "something else")
	again.IdempotencyKey = "k1"
	res, err := st.Append(ctx, []store.AppendRequest{{Events: []event.Event{again}}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	if !res[0].Replayed[0] || res[0].Events[0].ID != first.ID || res[0].Events[0].Action != "create" {
		t.Errorf("retry returned %+v, want the original event %d", res[0].Events[0], first.ID)
	}
	// Same key in the same group: one event.
	x, y := NewEvent(t, a.ID, "x"), NewEvent(t, a.ID, "y")
	x.IdempotencyKey, y.IdempotencyKey = "k2", "k2"
	res, err = st.Append(ctx, []store.AppendRequest{{Events: []event.Event{x}}, {Events: []event.Event{y}}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Events[0].ID != res[1].Events[0].ID || res[0].Replayed[0] || !res[1].Replayed[0] {
		t.Errorf("same key in one group: %d/%v and %d/%v", res[0].Events[0].ID, res[0].Replayed[0], res[1].Events[0].ID, res[1].Replayed[0])
	}
	// The same key in another tenant is another event.
	other := NewEvent(t, b.ID, "create")
	other.IdempotencyKey = "k1"
	if got := appendOne(t, st, other)[0]; got.ID == first.ID {
		t.Errorf("key of tenant a replayed in tenant b")
	}
	n, err := st.Count(ctx, &store.Query{Tenants: []uuid.UUID{a.ID}})
	if err != nil || n != 2 {
		t.Errorf("tenant a holds %d events (%v), want 2", n, err)
	}
}

func testConflict(t *testing.T, st store.Store) {
	ctx := context.Background()
	tn := NewTenant(t, st, "c", uuid.Nil)
	stored := appendOne(t, st, NewEvent(t, tn.ID, "first"))[0]
	dupe := NewEvent(t, tn.ID, "dupe")
	dupe.UUID = stored.UUID
	good := NewEvent(t, tn.ID, "good")
	res, err := st.Append(ctx, []store.AppendRequest{
		{Events: []event.Event{NewEvent(t, tn.ID, "sibling"), dupe}},
		{Events: []event.Event{good}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, event.ErrConflict) {
		t.Errorf("request reusing a uuid: err = %v, want ErrConflict", res[0].Err)
	}
	if res[1].Err != nil || res[1].Events[0].Seq != 1 {
		t.Errorf("good request: err = %v, seq = %d; want committed at seq 1", res[1].Err, res[1].Events[0].Seq)
	}
	n, _ := st.Count(ctx, &store.Query{Tenants: []uuid.UUID{tn.ID}})
	if n != 2 {
		t.Errorf("count = %d, want 2 (the failed request stored nothing)", n)
	}
}

func testUnknownTenant(t *testing.T, st store.Store) {
	tn := NewTenant(t, st, "u", uuid.Nil)
	res, err := st.Append(context.Background(), []store.AppendRequest{
		{Events: []event.Event{NewEvent(t, uuid.Must(uuid.NewV7()), "ghost")}},
		{Events: []event.Event{NewEvent(t, tn.ID, "real")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, event.ErrNotFound) || res[1].Err != nil || res[1].Events[0].Seq != 0 {
		t.Errorf("results = %v / %v", res[0].Err, res[1].Err)
	}
}

// testConcurrentWriters: 50 writers × 200 events into one tenant give
// seqs 0..9,999 exactly once, ids unique, nothing lost.
func testConcurrentWriters(t *testing.T, st store.Store) {
	const writers, each = 50, 200
	tn := NewTenant(t, st, "busy", uuid.Nil)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i += 20 {
				var evs []event.Event
				for j := 0; j < 20; j++ {
					evs = append(evs, NewEvent(t, tn.ID, fmt.Sprintf("w%d-%d", w, i+j)))
				}
				res, err := st.Append(context.Background(), []store.AppendRequest{{Events: evs}})
				if err == nil {
					err = res[0].Err
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
	checkDense(t, st, tn.ID, writers*each)
}

// checkDense asserts a tenant holds exactly n events with seqs 0..n-1 and
// distinct ids and actions.
func checkDense(t *testing.T, st store.Store, tenant uuid.UUID, n int) {
	t.Helper()
	evs, err := st.Find(context.Background(), &store.Query{Tenants: []uuid.UUID{tenant}, Limit: n + 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != n {
		t.Fatalf("found %d events, want %d", len(evs), n)
	}
	seqs := make([]bool, n)
	ids := map[int64]bool{}
	actions := map[string]bool{}
	for _, e := range evs {
		if e.Seq < 0 || e.Seq >= int64(n) || seqs[e.Seq] {
			t.Fatalf("seq %d out of range or repeated", e.Seq)
		}
		seqs[e.Seq] = true
		if ids[e.ID] || actions[e.Action] {
			t.Fatalf("event %d / %q repeated", e.ID, e.Action)
		}
		ids[e.ID], actions[e.Action] = true, true
	}
	if c, err := st.Count(context.Background(), &store.Query{Tenants: []uuid.UUID{tenant}}); err != nil || c != int64(n) {
		t.Errorf("count = %d (%v), want %d", c, err, n)
	}
}

func testConcurrentIdempotent(t *testing.T, st store.Store) {
	tn := NewTenant(t, st, "retry", uuid.Nil)
	var wg sync.WaitGroup
	ids := make([]int64, 20)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := NewEvent(t, tn.ID, "pay")
			e.IdempotencyKey = "same"
			res, err := st.Append(context.Background(), []store.AppendRequest{{Events: []event.Event{e}}})
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
			t.Fatalf("retries got different events: %v", ids)
		}
	}
	checkDense(t, st, tn.ID, 1)
}

func testIsolation(t *testing.T, st store.Store) {
	ctx := context.Background()
	a := NewTenant(t, st, "a", uuid.Nil)
	b := NewTenant(t, st, "b", uuid.Nil)
	eb := appendOne(t, st, NewEvent(t, b.ID, "secret"))[0]
	if _, err := st.Event(ctx, []uuid.UUID{a.ID}, store.EventRef{ID: eb.ID}); !errors.Is(err, event.ErrNotFound) {
		t.Errorf("tenant a reading b's event by id: err = %v, want ErrNotFound", err)
	}
	if _, err := st.Event(ctx, []uuid.UUID{a.ID}, store.EventRef{UUID: eb.UUID}); !errors.Is(err, event.ErrNotFound) {
		t.Errorf("tenant a reading b's event by uuid: err = %v, want ErrNotFound", err)
	}
	if evs, err := st.Find(ctx, &store.Query{Tenants: []uuid.UUID{a.ID}, Limit: 10}); err != nil || len(evs) != 0 {
		t.Errorf("tenant a lists %d events (%v), want 0", len(evs), err)
	}
	if _, err := st.Event(ctx, []uuid.UUID{b.ID}, store.EventRef{ID: eb.ID + 1000}); !errors.Is(err, event.ErrNotFound) {
		t.Errorf("missing event: err = %v, want ErrNotFound", err)
	}
}

func testFindAndCount(t *testing.T, st store.Store) {
	ctx := context.Background()
	tn := NewTenant(t, st, "f", uuid.Nil)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []event.Event
	for i := 0; i < 30; i++ {
		e := NewEvent(t, tn.ID, []string{"create", "update", "delete"}[i%3])
		e.OccurredAt = base.Add(time.Duration(i/2) * time.Hour) // pairs share a time: id breaks the tie
		evs = append(evs, e)
	}
	stored := appendOne(t, st, evs...)
	// Newest first, walked by keyset in pages of 7.
	var walked []int64
	var after *store.SortKey
	for {
		page, err := st.Find(ctx, &store.Query{Tenants: []uuid.UUID{tn.ID}, Sort: store.Sort{Desc: true}, Limit: 7, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			walked = append(walked, e.ID)
		}
		if len(page) < 7 {
			break
		}
		last := page[len(page)-1]
		after = &store.SortKey{Time: last.OccurredAt, ID: last.ID}
	}
	var want []int64
	for i := len(stored) - 1; i >= 0; i-- {
		want = append(want, stored[i].ID)
	}
	if diff := cmp.Diff(want, walked); diff != "" {
		t.Errorf("keyset walk (-want +got):\n%s", diff)
	}
	q := &store.Query{Tenants: []uuid.UUID{tn.ID}, Filter: store.Filter{Actions: []string{"create", "delete"}}, Limit: 5, Offset: 5, Sort: store.Sort{Desc: true}}
	page, err := st.Find(ctx, q)
	if err != nil || len(page) != 5 {
		t.Fatalf("offset page: %d events, %v", len(page), err)
	}
	n, err := st.Count(ctx, q)
	if err != nil || n != 20 {
		t.Errorf("count create|delete = %d, %v; want 20", n, err)
	}
	q.Filter = store.Filter{OccurredFrom: base.Add(2 * time.Hour), OccurredUntil: base.Add(4 * time.Hour)}
	if n, _ := st.Count(ctx, q); n != 4 {
		t.Errorf("count in [2h, 4h) = %d, want 4", n)
	}
}

func testSecret(t *testing.T, st store.Store) {
	ctx := context.Background()
	calls := 0
	gen := func() ([]byte, error) { calls++; return []byte(fmt.Sprintf("v%d", calls)), nil }
	a, err := st.Secret(ctx, "cursor", gen)
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Secret(ctx, "cursor", gen)
	if err != nil || string(a) != string(b) || calls != 1 {
		t.Errorf("secret = %q then %q (%v), generated %d times; want one value", a, b, err, calls)
	}
}
