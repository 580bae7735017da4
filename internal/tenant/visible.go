package tenant

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Tenant and Key are the stored values the surfaces render; aliases, so a
// surface names them without importing the store.
type (
	Tenant = store.Tenant
	Key    = store.Key
)

// errNotVisible is the one answer for a tenant that does not exist and one
// outside the caller's tree.
var errNotVisible = fmt.Errorf("%w: no such tenant in this key's tree", event.ErrNotFound)

// Visible finds the tenant named by idOrRef among reach, the tenants a key
// reaches (its own and its descendants). This is the one visibility rule
// of every surface: a tenant that does not exist and one outside reach are
// the same ErrNotFound, so an answer reveals nothing of other tenants; a
// failing store is its own error (answered 503 or 500), never "not found".
func (s *Service) Visible(ctx context.Context, reach []uuid.UUID, idOrRef string) (Tenant, error) {
	// Text the database could not compare names no tenant; asking would
	// only turn a client's mistake into a database error.
	if idOrRef == "" || len(idOrRef) > 255 || !event.ValidText(idOrRef) {
		return Tenant{}, errNotVisible
	}
	t, err := s.Store.Tenant(ctx, idOrRef)
	switch {
	case errors.Is(err, event.ErrNotFound):
		return Tenant{}, errNotVisible
	case err != nil:
		return Tenant{}, fmt.Errorf("tenant %q: %w", idOrRef, err)
	case !slices.Contains(reach, t.ID):
		return Tenant{}, errNotVisible
	}
	return t, nil
}

// VisibleSubtree is the ids of the visible tenant idOrRef and all its
// descendants.
func (s *Service) VisibleSubtree(ctx context.Context, reach []uuid.UUID, idOrRef string) ([]uuid.UUID, error) {
	t, err := s.Visible(ctx, reach, idOrRef)
	if err != nil {
		return nil, err
	}
	sub, err := s.Store.Subtree(ctx, t.ID)
	if err != nil {
		return nil, fmt.Errorf("subtree of %s: %w", t.ID, err)
	}
	if len(sub) == 0 {
		// Subtree always holds the tenant itself; an empty one would mean
		// "no narrowing" to a query, so it must never get that far.
		return nil, errNotVisible
	}
	return sub, nil
}

// List is every tenant in reach.
func (s *Service) List(ctx context.Context, reach []uuid.UUID) ([]Tenant, error) {
	all, err := s.Store.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	out := []Tenant{}
	for _, t := range all {
		if slices.Contains(reach, t.ID) {
			out = append(out, t)
		}
	}
	return out, nil
}

// Keys lists the keys of the visible tenant idOrRef, or of every tenant in
// reach when idOrRef is "".
func (s *Service) Keys(ctx context.Context, reach []uuid.UUID, idOrRef string) ([]Key, error) {
	filter := uuid.Nil
	if idOrRef != "" {
		t, err := s.Visible(ctx, reach, idOrRef)
		if err != nil {
			return nil, err
		}
		filter = t.ID
	}
	keys, err := s.Store.Keys(ctx, filter)
	if err != nil {
		return nil, err
	}
	out := []Key{}
	for _, k := range keys {
		if slices.Contains(reach, k.TenantID) {
			out = append(out, k)
		}
	}
	return out, nil
}

// Revoke revokes the key id of a tenant in reach and returns it as it is
// now. A key outside reach is answered as a missing one.
func (s *Service) Revoke(ctx context.Context, reach []uuid.UUID, id uuid.UUID) (Key, error) {
	keys, err := s.Store.Keys(ctx, uuid.Nil)
	if err != nil {
		return Key{}, err
	}
	i := slices.IndexFunc(keys, func(k Key) bool { return k.ID == id })
	if i < 0 || !slices.Contains(reach, keys[i].TenantID) {
		return Key{}, event.ErrNotFound
	}
	if err := s.Store.RevokeKey(ctx, id, time.Now()); err != nil && !errors.Is(err, event.ErrNotFound) {
		return Key{}, err
	}
	return s.Store.KeyByHash(ctx, keys[i].Hash)
}
