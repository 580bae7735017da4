package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Principal is an authenticated key: who is calling and what it may do.
type Principal struct {
	KeyID    uuid.UUID
	TenantID uuid.UUID
	Scopes   []string
	// Tenants is the key's tenant and all its descendants. Scopes and
	// Tenants may be shared with other requests (the key cache): read them,
	// never modify them.
	Tenants []uuid.UUID
	// AllowIPs is the key's allow-list (empty: any address), which bounds
	// the lists of the keys it may create. Shared like Scopes.
	AllowIPs []netip.Prefix
}

// Has reports whether the key carries scope. events:read implies the
// vendor read scopes.
func (p *Principal) Has(scope string) bool {
	if slices.Contains(p.Scopes, scope) {
		return true
	}
	switch scope {
	case ScopeKYCRead, ScopeAuditLogsRead:
		return slices.Contains(p.Scopes, ScopeEventsRead)
	}
	return false
}

// Reaches reports whether tenant is the key's or one of its descendants.
func (p *Principal) Reaches(tenant uuid.UUID) bool { return slices.Contains(p.Tenants, tenant) }

// Authenticator checks keys against the store.
type Authenticator struct {
	Store store.Store
	// Cache, when set, answers for keys recently seen (see KeyCache).
	Cache *KeyCache
}

// Authenticate resolves a presented secret used from addr. Every failure
// (unknown, revoked, wrong address) is ErrUnauthorized, so the answer says
// nothing about which keys exist.
func (a *Authenticator) Authenticate(ctx context.Context, secret string, addr netip.Addr) (*Principal, error) {
	if secret == "" {
		return nil, fmt.Errorf("%w: no API key", event.ErrUnauthorized)
	}
	if !looksLikeKey(secret) {
		return nil, fmt.Errorf("%w: malformed API key", event.ErrUnauthorized)
	}
	e, err := a.key(ctx, HashSecret(secret))
	if err != nil {
		return nil, err
	}
	k := e.key
	if !k.RevokedAt.IsZero() {
		return nil, fmt.Errorf("%w: revoked API key", event.ErrUnauthorized)
	}
	if !Allowed(k.AllowIPs, addr) {
		return nil, fmt.Errorf("%w: API key not allowed from %s", event.ErrUnauthorized, addr)
	}
	return &Principal{KeyID: k.ID, TenantID: k.TenantID, Scopes: k.Scopes, Tenants: e.tenants, AllowIPs: k.AllowIPs}, nil
}

// key finds the key of hash and the subtree it reaches, from the cache
// when it holds them. A revoked key is returned (and cached) as such.
func (a *Authenticator) key(ctx context.Context, hash []byte) (cachedKey, error) {
	var gen uint64
	if a.Cache != nil {
		e, found, unknown, g := a.Cache.lookup(hash)
		switch {
		case found:
			return e, nil
		case unknown:
			return e, fmt.Errorf("%w: unknown API key", event.ErrUnauthorized)
		}
		gen = g
		if err := a.Cache.acquire(ctx); err != nil {
			return cachedKey{}, err
		}
		defer a.Cache.release()
	}
	k, err := a.Store.KeyByHash(ctx, hash)
	if errors.Is(err, event.ErrNotFound) {
		if a.Cache != nil {
			a.Cache.putUnknown(hash, gen)
		}
		return cachedKey{}, fmt.Errorf("%w: unknown API key", event.ErrUnauthorized)
	}
	if err != nil {
		return cachedKey{}, err
	}
	e := cachedKey{key: k}
	if k.RevokedAt.IsZero() {
		if e.tenants, err = a.Store.Subtree(ctx, k.TenantID); err != nil {
			return cachedKey{}, err
		}
	}
	if a.Cache != nil {
		a.Cache.put(hash, e, gen)
	}
	return e, nil
}

// Allowed reports whether addr is in the allow-list; an empty list allows
// every address.
func Allowed(list []netip.Prefix, addr netip.Addr) bool {
	if len(list) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, p := range list {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
