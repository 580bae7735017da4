package httpapi

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// The admin API manages the admin key's own subtree: it creates tenants
// below its tenant and keys for tenants in it, never above or beside.

// TenantJSON is a tenant on the wire (admin API and CLI).
type TenantJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Ref       string `json:"ref,omitempty"`
	Parent    string `json:"parent,omitempty"`
	CreatedAt string `json:"created_at"`
}

// ToTenantJSON renders a tenant.
func ToTenantJSON(t store.Tenant) TenantJSON {
	j := TenantJSON{ID: t.ID.String(), Name: t.Name, Kind: t.Kind, Ref: t.Ref, CreatedAt: t.CreatedAt.Format(time.RFC3339)}
	if t.Parent != uuid.Nil {
		j.Parent = t.Parent.String()
	}
	return j
}

// KeyJSON is a key on the wire; Key (the secret) only when just created.
type KeyJSON struct {
	ID        string   `json:"id"`
	Key       string   `json:"key,omitempty"`
	Tenant    string   `json:"tenant"`
	Name      string   `json:"name"`
	Prefix    string   `json:"prefix"`
	Scopes    []string `json:"scopes"`
	AllowIPs  []string `json:"allow_ips"`
	CreatedAt string   `json:"created_at"`
	RevokedAt string   `json:"revoked_at,omitempty"`
}

// ToKeyJSON renders a key without its secret.
func ToKeyJSON(k store.Key) KeyJSON {
	j := KeyJSON{ID: k.ID.String(), Tenant: k.TenantID.String(), Name: k.Name, Prefix: k.Prefix,
		Scopes: k.Scopes, AllowIPs: auth.FormatAllowList(k.AllowIPs), CreatedAt: k.CreatedAt.Format(time.RFC3339)}
	if !k.RevokedAt.IsZero() {
		j.RevokedAt = k.RevokedAt.Format(time.RFC3339)
	}
	return j
}

type newTenantJSON struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Ref    string `json:"ref"`
	Parent string `json:"parent"`
}

func (s *Server) createTenant(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in newTenantJSON
	if err := event.DecodeStrict(http.MaxBytesReader(w, r.Body, 64<<10), &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Parent == "" {
		in.Parent = p.TenantID.String()
	} else if !s.reachable(r, p, in.Parent) {
		s.writeError(w, r, &event.FieldError{Field: "parent", Message: "is not a tenant this key administers", Kind: event.ErrForbidden})
		return
	}
	t, err := s.Tenants.Create(r.Context(), tenant.NewTenant{Name: in.Name, Kind: in.Kind, Ref: in.Ref, Parent: in.Parent})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ToTenantJSON(t))
}

// reachable reports whether the tenant named by id or ref is in p's subtree.
func (s *Server) reachable(r *http.Request, p *auth.Principal, idOrRef string) bool {
	t, err := s.Store.Tenant(r.Context(), idOrRef)
	return err == nil && p.Reaches(t.ID)
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	all, err := s.Store.Tenants(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []TenantJSON{}
	for _, t := range all {
		if p.Reaches(t.ID) {
			out = append(out, ToTenantJSON(t))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenants": out})
}

type newKeyJSON struct {
	Tenant   string   `json:"tenant"`
	Name     string   `json:"name"`
	Scopes   []string `json:"scopes"`
	AllowIPs []string `json:"allow_ips"`
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in newKeyJSON
	if err := event.DecodeStrict(http.MaxBytesReader(w, r.Body, 64<<10), &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Tenant == "" {
		in.Tenant = p.TenantID.String()
	} else if !s.reachable(r, p, in.Tenant) {
		s.writeError(w, r, &event.FieldError{Field: "tenant", Message: "is not a tenant this key administers", Kind: event.ErrForbidden})
		return
	}
	secret, k, err := s.Tenants.CreateKey(r.Context(), tenant.NewKey{Tenant: in.Tenant, Name: in.Name, Scopes: in.Scopes, AllowIPs: in.AllowIPs})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	j := ToKeyJSON(k)
	j.Key = secret
	writeJSON(w, http.StatusCreated, j)
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	filter := uuid.Nil
	if t := r.URL.Query().Get("tenant"); t != "" {
		tn, err := s.Store.Tenant(r.Context(), t)
		if err != nil || !p.Reaches(tn.ID) {
			s.writeError(w, r, &event.FieldError{Field: "tenant", Message: "is not a tenant this key administers", Kind: event.ErrForbidden})
			return
		}
		filter = tn.ID
	}
	keys, err := s.Store.Keys(r.Context(), filter)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []KeyJSON{}
	for _, k := range keys {
		if p.Reaches(k.TenantID) {
			out = append(out, ToKeyJSON(k))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, event.ErrNotFound)
		return
	}
	keys, err := s.Store.Keys(r.Context(), uuid.Nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	i := slices.IndexFunc(keys, func(k store.Key) bool { return k.ID == id })
	// A key outside this admin's subtree is answered as a missing one.
	if i < 0 || !p.Reaches(keys[i].TenantID) {
		s.writeError(w, r, event.ErrNotFound)
		return
	}
	if err := s.Store.RevokeKey(r.Context(), id, time.Now()); err != nil && !errors.Is(err, event.ErrNotFound) {
		s.writeError(w, r, err)
		return
	}
	k, err := s.Store.KeyByHash(r.Context(), keys[i].Hash)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ToKeyJSON(k))
}
