package compattest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// BrokenStore is a real store some of whose methods fail with Err, the
// way a database that is down or corrupt makes them fail, or hang until
// their client goes away.
type BrokenStore struct {
	store.Store
	// Err is what the failing methods return.
	Err error
	// Fail names the methods that fail: KeyByHash, Tenant, Tenants,
	// Event, Find, Count or TargetTypes.
	Fail []string
	// Spare is how many calls of each failing method succeed before it
	// starts failing, to reach a second call behind a first.
	Spare int
	// Hang makes the failing methods wait for their context to end
	// instead, then ask the real store with it: they return what the
	// database driver makes of a query whose client has gone away. Err is
	// not used.
	Hang bool

	mu    sync.Mutex
	calls map[string]int
	hung  chan struct{} // closed when the first failing call hangs
}

// Hung is closed once a failing method of a Hang store is waiting for its
// context to end.
func (b *BrokenStore) Hung() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.hung == nil {
		b.hung = make(chan struct{})
	}
	return b.hung
}

// fails counts a call of method and reports whether it fails.
func (b *BrokenStore) fails(method string) bool {
	if !slices.Contains(b.Fail, method) {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.calls == nil {
		b.calls = map[string]int{}
	}
	b.calls[method]++
	return b.calls[method] > b.Spare
}

// broken counts a call of method and reports whether it returns Err. A
// failing call of a Hang store first waits for ctx to end, and then goes
// on to the real store.
func (b *BrokenStore) broken(ctx context.Context, method string) bool {
	if !b.fails(method) {
		return false
	}
	if !b.Hang {
		return true
	}
	b.Hung()
	b.mu.Lock()
	select {
	case <-b.hung:
	default:
		close(b.hung)
	}
	b.mu.Unlock()
	<-ctx.Done()
	return false
}

// KeyByHash, like each method below, fails as Fail, Spare and Hang say,
// and otherwise asks the real store.
func (b *BrokenStore) KeyByHash(ctx context.Context, h []byte) (store.Key, error) {
	if b.broken(ctx, "KeyByHash") {
		return store.Key{}, b.Err
	}
	return b.Store.KeyByHash(ctx, h)
}

func (b *BrokenStore) Tenant(ctx context.Context, idOrRef string) (store.Tenant, error) {
	if b.broken(ctx, "Tenant") {
		return store.Tenant{}, b.Err
	}
	return b.Store.Tenant(ctx, idOrRef)
}

func (b *BrokenStore) Tenants(ctx context.Context) ([]store.Tenant, error) {
	if b.broken(ctx, "Tenants") {
		return nil, b.Err
	}
	return b.Store.Tenants(ctx)
}

func (b *BrokenStore) Event(ctx context.Context, tenants []uuid.UUID, ref store.EventRef) (event.Event, error) {
	if b.broken(ctx, "Event") {
		return event.Event{}, b.Err
	}
	return b.Store.Event(ctx, tenants, ref)
}

func (b *BrokenStore) Find(ctx context.Context, q *store.Query) ([]event.Event, error) {
	if b.broken(ctx, "Find") {
		return nil, b.Err
	}
	return b.Store.Find(ctx, q)
}

func (b *BrokenStore) Count(ctx context.Context, q *store.Query) (int64, error) {
	if b.broken(ctx, "Count") {
		return 0, b.Err
	}
	return b.Store.Count(ctx, q)
}

func (b *BrokenStore) TargetTypes(ctx context.Context, tenants []uuid.UUID) ([]string, error) {
	if b.broken(ctx, "TargetTypes") {
		return nil, b.Err
	}
	return b.Store.TargetTypes(ctx, tenants)
}

// Outage is one way the database fails under a read: what the store
// returns, whether the key lookup fails too, and the status a dialect
// answers with.
type Outage struct {
	Name   string
	Err    error
	InAuth bool
	Status int // 503 when the store is unavailable, else 500
}

// outageSecret is internal detail every outage's error carries: no answer
// may repeat any of outageLeaks, and the log must keep outageCause.
const (
	outageSecret = "10.9.8.7:5432 password=hunter2"
	outageCause  = "hunter2"
)

var outageLeaks = []string{"hunter2", "10.9.8.7"}

// Outages are the database failures a read endpoint must answer without
// saying anything internal: down, timed out or broken, during the read or
// already during authentication.
func Outages() []Outage {
	return []Outage{
		{"unavailable", fmt.Errorf("%w: dial %s: connection refused", event.ErrUnavailable, outageSecret), false, http.StatusServiceUnavailable},
		{"timeout", fmt.Errorf("query at %s: %w", outageSecret, context.DeadlineExceeded), false, http.StatusServiceUnavailable},
		{"broken", fmt.Errorf("disk I/O error at %s", outageSecret), false, http.StatusInternalServerError},
		{"unavailable during authentication", fmt.Errorf("%w: dial %s", event.ErrUnavailable, outageSecret), true, http.StatusServiceUnavailable},
		{"broken during authentication", errors.New("corrupt index " + outageSecret), true, http.StatusInternalServerError},
	}
}

// Store is st failing as o does: every read fails, and with InAuth the
// key lookup too.
func (o Outage) Store(st store.Store) *BrokenStore {
	b := &BrokenStore{Store: st, Err: o.Err, Fail: []string{"Find", "Count"}}
	if o.InAuth {
		b.Fail = append(b.Fail, "KeyByHash")
	}
	return b
}
