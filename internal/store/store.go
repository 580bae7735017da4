package store

import (
	"context"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
)

// Store is one database holding tenants, keys, events and their ledger.
// Every method owns its transaction; callers never see one.
type Store interface {
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
	// Engine names the engine: "sqlite" or "postgres".
	Engine() string

	CreateTenant(ctx context.Context, t *Tenant) error
	// Tenant finds a tenant by its id or its ref.
	Tenant(ctx context.Context, idOrRef string) (Tenant, error)
	Tenants(ctx context.Context) ([]Tenant, error)
	// Subtree returns the ids of a tenant and all its descendants.
	Subtree(ctx context.Context, id uuid.UUID) ([]uuid.UUID, error)

	CreateKey(ctx context.Context, k *Key) error
	// KeyByHash finds a key by the SHA-256 of its secret, revoked or not.
	KeyByHash(ctx context.Context, hash []byte) (Key, error)
	// Keys lists the keys of a tenant, or of every tenant for uuid.Nil.
	Keys(ctx context.Context, tenant uuid.UUID) ([]Key, error)
	RevokeKey(ctx context.Context, id uuid.UUID, at time.Time) error

	// Append commits a group of requests in one transaction and answers
	// each. A request is all-or-nothing: one whose events conflict with
	// stored ones (a uuid already used) fails alone with ErrConflict while
	// the others commit. An event whose idempotency key its tenant already
	// used is not stored again; the original is returned in its place.
	// The returned error is for the group as a whole (database down): then
	// nothing was committed.
	Append(ctx context.Context, reqs []AppendRequest) ([]AppendResult, error)

	// Event finds one event by its id or uuid among the given tenants.
	Event(ctx context.Context, tenants []uuid.UUID, ref EventRef) (event.Event, error)

	// Find returns the events a query selects, in its order, at most
	// q.Limit of them.
	Find(ctx context.Context, q *Query) ([]event.Event, error)
	// Count returns how many events a query's filter selects.
	Count(ctx context.Context, q *Query) (int64, error)

	// TargetTypes lists the distinct primary target types of the tenants'
	// events, sorted.
	TargetTypes(ctx context.Context, tenants []uuid.UUID) ([]string, error)

	Ledger
	Indexer

	// Secret returns the named server secret, creating it with gen on first
	// use; concurrent callers all get the one that was stored.
	Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error)
}

// Tenant is an account whose events are kept apart: a platform, an
// acquirer and its merchants, a customer and its child accounts.
type Tenant struct {
	ID        uuid.UUID
	Name      string
	Kind      string
	Ref       string    // the caller's own unique reference, optional
	Parent    uuid.UUID // uuid.Nil for a root tenant
	CreatedAt time.Time
}

// Key is an API key as stored: only the hash of its secret.
type Key struct {
	ID        uuid.UUID
	TenantID  uuid.UUID
	Name      string
	Prefix    string // the first characters of the secret, to recognise it in lists
	Hash      []byte
	Scopes    []string
	AllowIPs  []netip.Prefix
	CreatedAt time.Time
	RevokedAt time.Time // zero while the key is active
}

// AppendRequest is one ingest request: events already normalised, each
// with its tenant and uuid set.
type AppendRequest struct {
	Events []event.Event
}

// AppendResult answers one AppendRequest.
type AppendResult struct {
	// Events are the committed events in request order; an idempotent
	// replay holds the original event.
	Events []event.Event
	// Replayed[i] is true when Events[i] was stored by an earlier request.
	Replayed []bool
	// Err is set when this request alone failed; nothing of it was stored.
	Err error
}

// EventRef names one event: by numeric id, or by uuid.
type EventRef struct {
	ID   int64
	UUID uuid.UUID
}

// Indexer folds the log into the query indexes, which are derived data:
// Find, Count and TargetTypes stay exact without it (they read the
// not-yet-indexed tail too), only slower as the tail grows.
type Indexer interface {
	// IndexBatch folds up to max not-yet-indexed events into every query
	// index in one transaction, which also records how far it came, and
	// returns how many it folded (0: the indexes are current).
	IndexBatch(ctx context.Context, max int) (int, error)
	// Lag reports how far the indexes are behind the log.
	Lag(ctx context.Context) (Lag, error)
	// ClearIndex empties every derived index, so that IndexBatch rebuilds
	// them from the log.
	ClearIndex(ctx context.Context) error
}

// Lag is how far the query indexes are behind the log.
type Lag struct {
	// Events is how many acknowledged events are not indexed yet.
	Events int64
	// Oldest is the recorded_at of the oldest of them; zero when none.
	Oldest time.Time
}
