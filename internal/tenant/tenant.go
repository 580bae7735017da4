package tenant

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

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
	// ID is the tenant's id when the caller brings one (a FrankieOne
	// customer id, say); a UUIDv7 is made when it is empty.
	ID     string
	Name   string
	Kind   string
	Ref    string
	Parent string // id or ref of the parent, optional
}

// Create makes a tenant. Name, kind and ref are trimmed; the kind is
// lower-cased, so dialects that map kinds (Moyasar's organization_type)
// see one spelling whatever the operator typed.
//
// Refs are unique without regard to ASCII case and looked up the same
// way. A ref or id that is taken is a 409 "is not available", the same
// whoever holds it: an admin learns that the name is used, which a unique
// name cannot hide, but not by which tenant, nor whether in its own tree.
func (s *Service) Create(ctx context.Context, in NewTenant) (store.Tenant, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Kind = strings.TrimSpace(in.Kind)
	in.Ref = strings.TrimSpace(in.Ref)
	switch {
	case in.Name == "":
		return store.Tenant{}, event.Invalid("name", "is required")
	case len(in.Name) > 255 || !event.ValidText(in.Name):
		return store.Tenant{}, event.Invalid("name", "must be at most 255 bytes of UTF-8 without NUL")
	case len(in.Kind) > 64 || !event.ValidText(in.Kind):
		return store.Tenant{}, event.Invalid("kind", "must be at most 64 bytes of UTF-8 without NUL")
	case len(in.Ref) > 255 || !event.ValidText(in.Ref):
		return store.Tenant{}, event.Invalid("ref", "must be at most 255 bytes of UTF-8 without NUL")
	case !event.ValidText(in.Parent):
		return store.Tenant{}, event.Invalid("parent", "must be a tenant id or ref")
	}
	// Lower-cased only once known to be UTF-8: ToLower would turn an
	// invalid byte into U+FFFD.
	in.Kind = strings.ToLower(in.Kind)
	if _, err := uuid.Parse(in.Ref); err == nil {
		// Tenants are looked up by id or ref, so a ref that parses as a
		// uuid could shadow another tenant's id, or be shadowed by one.
		return store.Tenant{}, event.Invalid("ref", "must not be a UUID; to give the tenant a UUID of your own (a FrankieOne customer id), give it as its id (--id on the command line)")
	}
	t := store.Tenant{Name: in.Name, Kind: in.Kind, Ref: in.Ref, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if in.ID != "" {
		id, err := uuid.Parse(in.ID)
		switch {
		case err != nil || len(in.ID) != 36:
			return store.Tenant{}, event.Invalid("id", "must be a UUID like 12345678-1234-1234-1234-123456789012")
		case id == uuid.Nil:
			return store.Tenant{}, event.Invalid("id", "must not be the nil UUID")
		}
		t.ID = id
	}
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
	// Checked before the insert so the answer can name the field; the
	// unique indexes still decide a race.
	for _, f := range []struct{ name, val string }{{"id", in.ID}, {"ref", in.Ref}} {
		if f.val == "" {
			continue
		}
		_, err := s.Store.Tenant(ctx, f.val)
		if err == nil {
			return store.Tenant{}, notAvailable(f.name)
		}
		if !errors.Is(err, event.ErrNotFound) {
			return store.Tenant{}, err
		}
	}
	if t.ID == uuid.Nil {
		var err error
		if t.ID, err = uuid.NewV7(); err != nil {
			return store.Tenant{}, err
		}
	}
	if err := s.Store.CreateTenant(ctx, &t); err != nil {
		if errors.Is(err, event.ErrConflict) {
			switch {
			case in.ID == "":
				return store.Tenant{}, notAvailable("ref")
			case in.Ref == "":
				return store.Tenant{}, notAvailable("id")
			}
			return store.Tenant{}, &event.FieldError{Field: "ref", Message: "or id is not available; choose another", Kind: event.ErrConflict}
		}
		return store.Tenant{}, err
	}
	return t, nil
}

func notAvailable(field string) error {
	return &event.FieldError{Field: field, Message: "is not available; choose another", Kind: event.ErrConflict}
}

// NewKey is what a caller gives to create a key.
type NewKey struct {
	Tenant   string // id or ref
	Name     string
	Scopes   []string
	AllowIPs []string
	// Grantor is the admin key creating this one, which may grant only
	// scopes it holds itself: admin does not imply the others, so a key
	// that may make keys cannot make one that does more than it. Nil is
	// the operator (the command line), who may grant any scope.
	Grantor *auth.Principal
}

// CreateKey makes a key and returns its secret, which is never shown again.
func (s *Service) CreateKey(ctx context.Context, in NewKey) (string, store.Key, error) {
	if in.Tenant == "" {
		return "", store.Key{}, event.Invalid("tenant", "is required")
	}
	if err := auth.CheckScopes(in.Scopes); err != nil {
		return "", store.Key{}, err
	}
	if in.Grantor != nil {
		for _, sc := range in.Scopes {
			if !in.Grantor.Has(sc) {
				return "", store.Key{}, &event.FieldError{Field: "scopes", Kind: event.ErrForbidden,
					Message: fmt.Sprintf("%q is not a scope this key holds; a key may grant only its own scopes (%s)", sc, strings.Join(in.Grantor.Scopes, ", "))}
			}
		}
	}
	if !event.ValidText(in.Tenant) {
		return "", store.Key{}, event.Invalid("tenant", "must be a tenant id or ref")
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
	if allow, err = grantAllowList(in.Grantor, in.AllowIPs == nil, allow); err != nil {
		return "", store.Key{}, err
	}
	secret, k, err := auth.NewKey(t.ID, strings.TrimSpace(in.Name), in.Scopes, allow)
	if err != nil {
		return "", store.Key{}, err
	}
	if err := s.Store.CreateKey(ctx, &k); err != nil {
		return "", store.Key{}, err
	}
	return secret, k, nil
}

// grantAllowList applies the allow-list rule of a key created by grantor:
// a grantor held to some addresses may not make a key usable from others,
// or a key stolen along with it, or an admin on another network, could
// mint its way out of the list. Omitted, the new key inherits the
// grantor's list; given, every entry must lie inside one of the
// grantor's; an empty list, which allows every address, is refused. The
// operator (no grantor) and a grantor without a list are not restricted.
func grantAllowList(grantor *auth.Principal, omitted bool, allow []netip.Prefix) ([]netip.Prefix, error) {
	if grantor == nil || len(grantor.AllowIPs) == 0 {
		return allow, nil
	}
	if omitted {
		return slices.Clone(grantor.AllowIPs), nil
	}
	held := strings.Join(auth.FormatAllowList(grantor.AllowIPs), ", ")
	ok, bad := auth.WithinAllowList(allow, grantor.AllowIPs)
	switch {
	case ok:
		return allow, nil
	case bad < 0:
		return nil, &event.FieldError{Field: "allow_ips", Kind: event.ErrForbidden,
			Message: fmt.Sprintf("an empty list allows every address, more than this key may grant: a key may grant only addresses inside its own allow-list (%s); omit allow_ips to give the new key that list", held)}
	}
	return nil, &event.FieldError{Field: "allow_ips[" + strconv.Itoa(bad) + "]", Kind: event.ErrForbidden,
		Message: fmt.Sprintf("%s is not inside this key's allow-list; a key may grant only addresses inside its own allow-list (%s)", allow[bad], held)}
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
