package store

import (
	"context"
	"sync"

	"github.com/google/uuid"
)

// Change is a write that a cache of keys and tenants must not miss.
type Change struct {
	// Key is a key just revoked; uuid.Nil when the change is not about one
	// key.
	Key uuid.UUID
	// All says anything may have changed (a tenant created, or changes
	// made by another process that the engine cannot name one by one).
	All bool
}

// Watcher is a Store that tells what changes keys and tenants: the changes
// made through it at once, before the writing call returns, and those of
// other processes on the same database as soon as the engine learns of them.
type Watcher interface {
	// WatchKeys calls fn for every change until ctx ends and returns then.
	// health(false) says changes of other processes may be missed from now
	// on (the connection that hears of them was lost): a cache must stop
	// trusting what it holds until health(true) says they are heard again.
	WatchKeys(ctx context.Context, fn func(Change), health func(ok bool))
}

// Watchers is the set of callbacks a store tells its own changes to.
type Watchers struct {
	mu  sync.Mutex
	fns map[int]func(Change)
	n   int
}

// Add registers fn until the returned function is called.
func (w *Watchers) Add(fn func(Change)) (remove func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fns == nil {
		w.fns = map[int]func(Change){}
	}
	w.n++
	id := w.n
	w.fns[id] = fn
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.fns, id)
	}
}

// Tell calls every registered callback with c.
func (w *Watchers) Tell(c Change) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, fn := range w.fns {
		fn(c)
	}
}
