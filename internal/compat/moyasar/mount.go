package moyasar

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// Deps are what the dialect serves from.
type Deps = dialect.Deps

// Serve registers the dialect's routes on mux. The subjects route is more
// specific than the {id} one, so ServeMux gives it precedence; the
// catch-all under /v1/audit_logs/ answers other paths with Moyasar's 404.
func Serve(mux httpx.Mux, d Deps) {
	h := &handler{d: d}
	mux.Handle("GET /v1/audit_logs", http.HandlerFunc(h.list))
	mux.Handle("GET /v1/audit_logs/subjects", http.HandlerFunc(h.subjects))
	mux.Handle("GET /v1/audit_logs/{id}", http.HandlerFunc(h.get))
	mux.Handle("/v1/audit_logs/", http.HandlerFunc(h.notFound))
}

// handler serves the dialect from the read service.
type handler struct {
	d Deps
}

// listJSON is the answer of GET /v1/audit_logs.
type listJSON struct {
	AuditLogs httpx.Items[entryJSON] `json:"audit_logs"`
	Meta      metaJSON               `json:"meta"`
}

// metaJSON is countless pagination: where this page is, never a total.
type metaJSON struct {
	CurrentPage int  `json:"current_page"`
	NextPage    *int `json:"next_page"`
	PrevPage    *int `json:"prev_page"`
}

// subjectsJSON is the answer of GET /v1/audit_logs/subjects.
type subjectsJSON struct {
	Subjects []string `json:"subjects"`
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	p, err := h.authenticate(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	req, pe := parseList(r.URL.RawQuery, h.d.Query, p.Tenants)
	if len(pe) > 0 {
		h.writeError(w, r, invalidParams(pe))
		return
	}
	res, err := h.d.Read.Run(r.Context(), p, req)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := listJSON{AuditLogs: make(httpx.Items[entryJSON], 0, len(res.Events)), Meta: metaJSON{CurrentPage: req.Page}}
	orgs := h.organizations(p)
	for i := range res.Events {
		e, err := orgs.render(r.Context(), &res.Events[i])
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		out.AuditLogs = append(out.AuditLogs, e)
	}
	// A page past the end has neither neighbour (spec/compat.md): there
	// is no way to know how far back the last entry is without counting.
	if len(res.Events) > 0 {
		if res.HasMore {
			next := req.Page + 1
			out.Meta.NextPage = &next
		}
		if req.Page > 1 {
			prev := req.Page - 1
			out.Meta.PrevPage = &prev
		}
	}
	httpx.WriteStream(w, http.StatusOK, "application/json; charset=utf-8", out, out.AuditLogs)
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	p, err := h.authenticate(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if pe := parseNone(r.URL.RawQuery, h.d.Query); len(pe) > 0 {
		h.writeError(w, r, invalidParams(pe))
		return
	}
	// Entry ids are UUIDs; anything else names no entry.
	raw := r.PathValue("id")
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 || id == uuid.Nil {
		h.writeError(w, r, errNotFound)
		return
	}
	e, err := h.d.Read.Event(r.Context(), p, query.EventRef{UUID: id})
	if errors.Is(err, event.ErrNotFound) {
		h.writeError(w, r, errNotFound)
		return
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out, err := h.organizations(p).render(r.Context(), &e)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, "application/json; charset=utf-8", out)
}

func (h *handler) subjects(w http.ResponseWriter, r *http.Request) {
	p, err := h.authenticate(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if pe := parseNone(r.URL.RawQuery, h.d.Query); len(pe) > 0 {
		h.writeError(w, r, invalidParams(pe))
		return
	}
	types, err := h.d.Read.TargetTypes(r.Context(), p)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if types == nil {
		types = []string{}
	}
	httpx.WriteJSON(w, http.StatusOK, "application/json; charset=utf-8", subjectsJSON{Subjects: types})
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.writeError(w, r, errNotFound)
}

// authenticate checks the Bearer key and the audit_logs_read permission
// (which events:read implies).
func (h *handler) authenticate(r *http.Request) (*auth.Principal, error) {
	return dialect.Authenticate(h.d.Auth, r, httpx.BearerToken(r), auth.ScopeAuditLogsRead, refusals)
}

// organizations looks up the tenants of the entries of one answer, each
// once.
type organizations struct {
	read *query.Service
	p    *auth.Principal
	seen map[uuid.UUID]*tenant.Tenant
}

func (h *handler) organizations(p *auth.Principal) *organizations {
	return &organizations{read: h.d.Read, p: p, seen: map[uuid.UUID]*tenant.Tenant{}}
}

func (o *organizations) render(ctx context.Context, e *event.Event) (entryJSON, error) {
	t, ok := o.seen[e.TenantID]
	if !ok {
		found, err := o.read.Tenant(ctx, o.p, e.TenantID.String())
		switch {
		case err == nil:
			t = &found
		case !errors.Is(err, event.ErrNotFound):
			return entryJSON{}, err
		}
		o.seen[e.TenantID] = t
	}
	return renderEntry(e, t)
}
