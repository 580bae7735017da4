package frankieone

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
)

// customerScope resolves the customer headers to the tenants a request
// reads: the customer's subtree, or its child's when a child is named.
//
// The customer must be the key's tenant or one of its descendants; the
// child must lie strictly below the customer. Anything else, a tenant that
// does not exist included, is the same error, so a key learns nothing about
// tenants outside its tree. A failing store is no such answer: it is the
// store's error, answered as unavailable or internal.
func (h *handler) customerScope(ctx context.Context, p *auth.Principal, customer, child string) ([]uuid.UUID, error) {
	c, err := h.d.Read.Tenant(ctx, p, customer)
	if errors.Is(err, event.ErrNotFound) {
		return nil, errCustomer
	}
	if err != nil {
		return nil, err
	}
	scope, err := h.d.Read.Subtree(ctx, p, c.ID.String())
	if errors.Is(err, event.ErrNotFound) {
		return nil, errCustomer
	}
	if err != nil || child == "" {
		return scope, err
	}
	ch, err := h.d.Read.Tenant(ctx, p, child)
	if errors.Is(err, event.ErrNotFound) {
		return nil, errChild
	}
	if err != nil {
		return nil, err
	}
	if ch.ID == c.ID || !slices.Contains(scope, ch.ID) {
		return nil, errChild
	}
	scope, err = h.d.Read.Subtree(ctx, p, ch.ID.String())
	if errors.Is(err, event.ErrNotFound) {
		return nil, errChild
	}
	return scope, err
}
