package query

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/notary"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// The store's query vocabulary, named here so that a surface builds a
// request without importing the store.
type (
	Filter     = store.Filter
	Sort       = store.Sort
	SortField  = store.SortField
	TargetRef  = store.TargetRef
	EventRef   = store.EventRef
	Checkpoint = store.StoredCheckpoint
	LedgerKey  = store.LedgerKey
)

// Sort fields.
const (
	ByOccurredAt = store.ByOccurredAt
	ByActorType  = store.ByActorType
	ByTargetType = store.ByTargetType
	ByActionType = store.ByActionType
)

// Limits bound every read the service runs.
type Limits struct {
	// ReadTimeout is the most time one page, count, single event or list
	// may take; past it the query is cancelled in the database.
	ReadTimeout time.Duration
	// ExportTimeout is the same for a whole export.
	ExportTimeout time.Duration
	// MaxExports is how many exports may run at once, in all;
	// MaxExportsPerTenant how many of them for the keys of one tenant.
	// Beyond them an export is refused (503, retry later).
	MaxExports          int
	MaxExportsPerTenant int
}

// Default limits.
const (
	DefaultReadTimeout         = 5 * time.Second
	DefaultExportTimeout       = 10 * time.Minute
	DefaultMaxExports          = 4
	DefaultMaxExportsPerTenant = 2
)

// Service is the read service: every surface (the native API, the admin
// API, the ledger routes, the vendor dialects) reads through it. It
// resolves once what a principal may see, runs the read under its bounds,
// and hands back domain errors only: a tenant that does not exist and one
// the key does not reach are the same ErrNotFound, a failing store is
// never mistaken for an empty answer, and a read that outlives its
// deadline is ErrUnavailable with a message a client may read.
type Service struct {
	engine  *Engine
	store   store.Store
	tenants *tenant.Service
	ledger  *notary.Notary // nil with the ledger off
	limits  Limits
	exports *exportGate
}

// NewService builds the read service over a store, its engine and its
// ledger (nil when the ledger is off). Zero limits take their defaults.
func NewService(st store.Store, en *Engine, tenants *tenant.Service, ledger *notary.Notary, l Limits) *Service {
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = DefaultReadTimeout
	}
	if l.ExportTimeout <= 0 {
		l.ExportTimeout = DefaultExportTimeout
	}
	if l.MaxExports <= 0 {
		l.MaxExports = DefaultMaxExports
	}
	if l.MaxExportsPerTenant <= 0 {
		l.MaxExportsPerTenant = DefaultMaxExportsPerTenant
	}
	l.MaxExportsPerTenant = min(l.MaxExportsPerTenant, l.MaxExports)
	return &Service{engine: en, store: st, tenants: tenants, ledger: ledger, limits: l, exports: &exportGate{limits: l, running: map[uuid.UUID]int{}}}
}

// Limits returns the bounds the service applies.
func (s *Service) Limits() Limits { return s.limits }

// read runs fn under the read deadline and translates its error.
func read[T any](ctx context.Context, s *Service, limit time.Duration, fn func(ctx context.Context) (T, error)) (T, error) {
	dctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	v, err := fn(dctx)
	if err != nil {
		var zero T
		return zero, s.translate(ctx, dctx, limit, err)
	}
	return v, nil
}

// translate turns a read's failure into what a surface answers. A read
// cut by its own deadline, while its client still waits, is a 503 that
// says so; whatever the driver made of the cancellation stays in the log.
func (s *Service) translate(parent, dctx context.Context, limit time.Duration, err error) error {
	if parent.Err() == nil && errors.Is(dctx.Err(), context.DeadlineExceeded) {
		return &TimeoutError{Limit: limit, Cause: err}
	}
	return err
}

// TimeoutError is a read cancelled at its deadline.
type TimeoutError struct {
	Limit time.Duration
	Cause error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("the read took longer than its limit of %s and was cancelled; narrow the request or retry later", e.Limit)
}

// Unwrap lets errors.Is see ErrUnavailable and the cause.
func (e *TimeoutError) Unwrap() []error { return []error{event.ErrUnavailable, e.Cause} }

// Run runs a request within what p may see: the scope is p's tenants,
// narrowed to r.TenantRefs when set.
func (s *Service) Run(ctx context.Context, p *auth.Principal, r *Request) (*Result, error) {
	return read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) (*Result, error) {
		r.Scope = p.Tenants
		if len(r.TenantRefs) > 0 {
			r.Tenants = r.Tenants[:0]
			for _, ref := range r.TenantRefs {
				t, err := s.tenants.Visible(ctx, p.Tenants, ref)
				switch {
				case errors.Is(err, event.ErrNotFound):
					// uuid.Nil is in no scope: the narrowing stays
					// non-empty and selects nothing, so the answer does
					// not reveal which tenants exist.
					r.Tenants = append(r.Tenants, uuid.Nil)
				case err != nil:
					return nil, err
				default:
					r.Tenants = append(r.Tenants, t.ID)
				}
			}
		}
		return s.engine.Run(ctx, r)
	})
}

// Event finds one event p may see. A uuid is looked up in p's own tenant
// first: a descendant may hold an event of the same uuid, and the key's
// own must not be shadowed by it.
func (s *Service) Event(ctx context.Context, p *auth.Principal, ref EventRef) (event.Event, error) {
	return read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) (event.Event, error) {
		if ref.UUID != uuid.Nil && len(p.Tenants) > 1 {
			e, err := s.store.Event(ctx, []uuid.UUID{p.TenantID}, ref)
			if !errors.Is(err, event.ErrNotFound) {
				return e, err
			}
		}
		return s.store.Event(ctx, p.Tenants, ref)
	})
}

// EventIn finds one event of tenant, which p must reach.
func (s *Service) EventIn(ctx context.Context, p *auth.Principal, tenantID uuid.UUID, ref EventRef) (event.Event, error) {
	if !p.Reaches(tenantID) {
		return event.Event{}, event.ErrNotFound
	}
	return read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) (event.Event, error) {
		return s.store.Event(ctx, []uuid.UUID{tenantID}, ref)
	})
}

// TargetTypes lists the distinct primary target types of p's events.
func (s *Service) TargetTypes(ctx context.Context, p *auth.Principal) ([]string, error) {
	return read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) ([]string, error) {
		return s.engine.TargetTypes(ctx, p.Tenants)
	})
}

// Tenant finds the tenant idOrRef among those p reaches (tenant.Visible).
func (s *Service) Tenant(ctx context.Context, p *auth.Principal, idOrRef string) (tenant.Tenant, error) {
	return read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) (tenant.Tenant, error) {
		return s.tenants.Visible(ctx, p.Tenants, idOrRef)
	})
}

// ListTenants is every tenant p reaches.
func (s *Service) ListTenants(ctx context.Context, p *auth.Principal) ([]tenant.Tenant, error) {
	return read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) ([]tenant.Tenant, error) {
		return s.tenants.List(ctx, p.Tenants)
	})
}

// ListKeys lists the keys of the visible tenant idOrRef, or of every
// tenant p reaches for "".
func (s *Service) ListKeys(ctx context.Context, p *auth.Principal, idOrRef string) ([]tenant.Key, error) {
	return read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) ([]tenant.Key, error) {
		return s.tenants.Keys(ctx, p.Tenants, idOrRef)
	})
}

// Subtree is the visible tenant idOrRef and its descendants.
func (s *Service) Subtree(ctx context.Context, p *auth.Principal, idOrRef string) ([]uuid.UUID, error) {
	return read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) ([]uuid.UUID, error) {
		return s.tenants.VisibleSubtree(ctx, p.Tenants, idOrRef)
	})
}

// Checkpoints lists at most limit signed checkpoints of tenant, which p
// must reach, of sizes above after, by size.
func (s *Service) Checkpoints(ctx context.Context, p *auth.Principal, tenantID uuid.UUID, after int64, limit int) ([]Checkpoint, error) {
	if !p.Reaches(tenantID) {
		return nil, event.ErrNotFound
	}
	return read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) ([]Checkpoint, error) {
		return s.store.CheckpointPage(ctx, tenantID, after, limit)
	})
}

// LedgerKeys lists the checkpoint signing keys, active and retired.
func (s *Service) LedgerKeys(ctx context.Context) ([]LedgerKey, error) {
	return read(ctx, s, s.limits.ReadTimeout, s.store.LedgerKeys)
}

// Ping reports whether the database answers.
func (s *Service) Ping(ctx context.Context) error {
	_, err := read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.store.Ping(ctx)
	})
	return err
}

// Engine names the database engine.
func (s *Service) Engine() string { return s.store.Engine() }

// errNoLedger answers ledger reads of a service without a ledger.
var errNoLedger = fmt.Errorf("%w: the ledger is off", event.ErrNotFound)

// Checkpoint is the signed checkpoint of tenant, which p must reach, of
// size, or the latest for 0 (signed now if the log outgrew it).
func (s *Service) Checkpoint(ctx context.Context, p *auth.Principal, tenantID uuid.UUID, size int64) (Checkpoint, error) {
	if s.ledger == nil {
		return Checkpoint{}, errNoLedger
	}
	if !p.Reaches(tenantID) {
		return Checkpoint{}, event.ErrNotFound
	}
	return read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) (Checkpoint, error) {
		return s.ledger.Checkpoint(ctx, tenantID, size)
	})
}

// ProveInclusion proves the leaf seq of tenant's log, which p must reach,
// against the checkpoint of size (0: the latest that covers it).
func (s *Service) ProveInclusion(ctx context.Context, p *auth.Principal, tenantID uuid.UUID, seq, size int64) (*notary.InclusionProof, error) {
	if s.ledger == nil {
		return nil, errNoLedger
	}
	if !p.Reaches(tenantID) {
		return nil, event.ErrNotFound
	}
	return read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) (*notary.InclusionProof, error) {
		return s.ledger.ProveInclusion(ctx, tenantID, seq, size)
	})
}

// ProveConsistency proves the checkpoint of size from a prefix of the one
// of size to (0: the latest) in tenant's log, which p must reach.
func (s *Service) ProveConsistency(ctx context.Context, p *auth.Principal, tenantID uuid.UUID, from, to int64) (*notary.ConsistencyProof, error) {
	if s.ledger == nil {
		return nil, errNoLedger
	}
	if !p.Reaches(tenantID) {
		return nil, event.ErrNotFound
	}
	return read(ctx, s, s.limits.ReadTimeout, func(ctx context.Context) (*notary.ConsistencyProof, error) {
		return s.ledger.ProveConsistency(ctx, tenantID, from, to)
	})
}
