package frankieone

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// customerScope resolves the customer headers to the tenants a request
// reads: the customer's subtree, or its child's when a child is named.
//
// The customer must be the key's tenant or one of its descendants; the
// child must lie strictly below the customer. Anything else, a tenant that
// does not exist included, is the same error, so a key learns nothing about
// tenants outside its tree.
func (h *handler) customerScope(ctx context.Context, p *auth.Principal, customer, child string) ([]uuid.UUID, error) {
	c, ok, err := h.visibleTenant(ctx, p, customer)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errCustomer
	}
	scope, err := h.s.Store.Subtree(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if len(scope) == 0 {
		// Subtree always holds the tenant itself; an empty one would mean
		// "no narrowing" to the engine, so it must never get that far.
		return nil, errCustomer
	}
	if child == "" {
		return scope, nil
	}
	ch, ok, err := h.visibleTenant(ctx, p, child)
	if err != nil {
		return nil, err
	}
	if !ok || ch.ID == c.ID || !slices.Contains(scope, ch.ID) {
		return nil, errChild
	}
	scope, err = h.s.Store.Subtree(ctx, ch.ID)
	if err != nil {
		return nil, err
	}
	if len(scope) == 0 {
		return nil, errChild
	}
	return scope, nil
}

// visibleTenant finds a tenant by id or ref among those the key reaches.
// ok is false when there is none; err is for a failing store only.
func (h *handler) visibleTenant(ctx context.Context, p *auth.Principal, idOrRef string) (store.Tenant, bool, error) {
	// Text the database could not compare names no tenant; asking would
	// only turn a client's mistake into a database error.
	if !dialect.ValidText(idOrRef) {
		return store.Tenant{}, false, nil
	}
	t, err := h.s.Store.Tenant(ctx, idOrRef)
	if errors.Is(err, event.ErrNotFound) {
		return store.Tenant{}, false, nil
	}
	if err != nil {
		return store.Tenant{}, false, err
	}
	if !p.Reaches(t.ID) {
		return store.Tenant{}, false, nil
	}
	return t, true, nil
}
