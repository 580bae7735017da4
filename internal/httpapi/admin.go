package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
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
func ToTenantJSON(t tenant.Tenant) TenantJSON {
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
func ToKeyJSON(k tenant.Key) KeyJSON {
	j := KeyJSON{ID: k.ID.String(), Tenant: k.TenantID.String(), Name: k.Name, Prefix: k.Prefix,
		Scopes: k.Scopes, AllowIPs: auth.FormatAllowList(k.AllowIPs), CreatedAt: k.CreatedAt.Format(time.RFC3339)}
	if !k.RevokedAt.IsZero() {
		j.RevokedAt = k.RevokedAt.Format(time.RFC3339)
	}
	return j
}

type newTenantJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Ref    string `json:"ref"`
	Parent string `json:"parent"`
}

func (s *Server) createTenant(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if _, err := s.singleParams(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in newTenantJSON
	if err := event.DecodeStrict(http.MaxBytesReader(w, r.Body, 64<<10), &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Parent == "" {
		in.Parent = p.TenantID.String()
	} else if err := s.administers(r, p, "parent", in.Parent); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.d.Tenants.Create(r.Context(), tenant.NewTenant{ID: in.ID, Name: in.Name, Kind: in.Kind, Ref: in.Ref, Parent: in.Parent})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ToTenantJSON(t))
}

// administers checks that the tenant field names, by id or ref, is in p's
// subtree. One that does not exist gets the same answer as one outside;
// a failing store is its own error.
func (s *Server) administers(r *http.Request, p *auth.Principal, field, idOrRef string) error {
	_, err := s.d.Read.Tenant(r.Context(), p, idOrRef)
	if errors.Is(err, event.ErrNotFound) {
		return &event.FieldError{Field: field, Message: "is not a tenant this key administers", Kind: event.ErrForbidden}
	}
	return err
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if _, err := s.singleParams(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	all, err := s.d.Read.ListTenants(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]TenantJSON, len(all))
	for i, t := range all {
		out[i] = ToTenantJSON(t)
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
	if _, err := s.singleParams(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in newKeyJSON
	if err := event.DecodeStrict(http.MaxBytesReader(w, r.Body, 64<<10), &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Tenant == "" {
		in.Tenant = p.TenantID.String()
	} else if err := s.administers(r, p, "tenant", in.Tenant); err != nil {
		s.writeError(w, r, err)
		return
	}
	secret, k, err := s.d.Tenants.CreateKey(r.Context(), tenant.NewKey{Tenant: in.Tenant, Name: in.Name, Scopes: in.Scopes, AllowIPs: in.AllowIPs, Grantor: p})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	j := ToKeyJSON(k)
	j.Key = secret
	writeJSON(w, http.StatusCreated, j)
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	q, err := s.singleParams(r, "tenant")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t := q["tenant"]
	if t != "" {
		if err := s.administers(r, p, "tenant", t); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	keys, err := s.d.Read.ListKeys(r.Context(), p, t)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]KeyJSON, len(keys))
	for i, k := range keys {
		out[i] = ToKeyJSON(k)
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if _, err := s.singleParams(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, event.ErrNotFound)
		return
	}
	k, err := s.d.Tenants.Revoke(r.Context(), p.Tenants, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ToKeyJSON(k))
}
