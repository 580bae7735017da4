package tenant

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Service creates and lists tenants and keys.
type Service struct {
	Store store.Store
}

// NewTenant is what a caller gives to create a tenant.
type NewTenant struct {
	Name   string
	Kind   string
	Ref    string
	Parent string // id or ref of the parent, optional
}

// Create makes a tenant with a fresh UUIDv7 id.
func (s *Service) Create(ctx context.Context, in NewTenant) (store.Tenant, error) {
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		return store.Tenant{}, event.Invalid("name", "is required")
	case len(in.Name) > 255 || !utf8.ValidString(in.Name):
		return store.Tenant{}, event.Invalid("name", "must be at most 255 bytes of UTF-8")
	case len(in.Kind) > 64 || !utf8.ValidString(in.Kind):
		return store.Tenant{}, event.Invalid("kind", "must be at most 64 bytes of UTF-8")
	case len(in.Ref) > 255 || !utf8.ValidString(in.Ref):
		return store.Tenant{}, event.Invalid("ref", "must be at most 255 bytes of UTF-8")
	}
	if _, err := uuid.Parse(in.Ref); err == nil {
		// A ref that parses as a uuid could shadow another tenant's id.
		return store.Tenant{}, event.Invalid("ref", "must not be a UUID")
	}
	t := store.Tenant{Name: in.Name, Kind: in.Kind, Ref: in.Ref, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if in.Parent != "" {
		p, err := s.Store.Tenant(ctx, in.Parent)
		if errors.Is(err, event.ErrNotFound) {
			return store.Tenant{}, event.Invalid("parent", "no tenant %q", in.Parent)
		}
		if err != nil {
			return store.Tenant{}, err
		}
		t.Parent = p.ID
	}
	var err error
	if t.ID, err = uuid.NewV7(); err != nil {
		return store.Tenant{}, err
	}
	if err := s.Store.CreateTenant(ctx, &t); err != nil {
		if errors.Is(err, event.ErrConflict) {
			return store.Tenant{}, fmt.Errorf("%w: ref %q is already taken", event.ErrConflict, in.Ref)
		}
		return store.Tenant{}, err
	}
	return t, nil
}

// NewKey is what a caller gives to create a key.
type NewKey struct {
	Tenant   string // id or ref
	Name     string
	Scopes   []string
	AllowIPs []string
}

// CreateKey makes a key and returns its secret, which is never shown again.
func (s *Service) CreateKey(ctx context.Context, in NewKey) (string, store.Key, error) {
	if in.Tenant == "" {
		return "", store.Key{}, event.Invalid("tenant", "is required")
	}
	t, err := s.Store.Tenant(ctx, in.Tenant)
	if errors.Is(err, event.ErrNotFound) {
		return "", store.Key{}, event.Invalid("tenant", "no tenant %q", in.Tenant)
	}
	if err != nil {
		return "", store.Key{}, err
	}
	allow, err := auth.ParseAllowList(in.AllowIPs)
	if err != nil {
		return "", store.Key{}, err
	}
	secret, k, err := auth.NewKey(t.ID, in.Name, in.Scopes, allow)
	if err != nil {
		return "", store.Key{}, err
	}
	if err := s.Store.CreateKey(ctx, &k); err != nil {
		return "", store.Key{}, err
	}
	return secret, k, nil
}

// DefaultTenant is the name of the tenant made on an empty database.
const DefaultTenant = "default"

// Bootstrap makes the default tenant and an admin key when the database has
// no tenant yet. It returns the secret when it made one, "" otherwise.
func (s *Service) Bootstrap(ctx context.Context) (string, store.Tenant, error) {
	ts, err := s.Store.Tenants(ctx)
	if err != nil || len(ts) > 0 {
		return "", store.Tenant{}, err
	}
	t, err := s.Create(ctx, NewTenant{Name: DefaultTenant, Kind: "root", Ref: DefaultTenant})
	if err != nil {
		return "", store.Tenant{}, fmt.Errorf("bootstrap: %w", err)
	}
	secret, _, err := s.CreateKey(ctx, NewKey{
		Tenant: t.ID.String(), Name: "bootstrap admin",
		Scopes: []string{auth.ScopeAdmin, auth.ScopeEventsRead, auth.ScopeEventsWrite},
	})
	if err != nil {
		return "", store.Tenant{}, fmt.Errorf("bootstrap: %w", err)
	}
	return secret, t, nil
}
