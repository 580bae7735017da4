package auditply

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/httpapi"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
)

// caseTargetType is the target type that makes an event part of a case.
const caseTargetType = "kyc_case"

// keyHeader is the vendor's key header; a Bearer token works too.
const keyHeader = "X-API-Key"

// auditLogHandler serves GET /api/v1/kyc/cases/{id}/audit-log.
type auditLogHandler struct {
	s *httpapi.Server
}

func (h *auditLogHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, err := h.s.Authenticate(r, dialect.Key(r, keyHeader))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !p.Has(auth.ScopeKYCRead) {
		writeError(w, http.StatusForbidden, msgNoScope)
		return
	}
	caseID, err := parseCaseID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	prm, err := parseParams(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	prm.CaseID = caseID

	inCase := store.Filter{Targets: []store.TargetRef{{Type: caseTargetType, ID: prm.CaseID}}}
	f := inCase
	if prm.Action != "" {
		f.Actions = []string{prm.Action}
	}
	res, err := h.s.Query.Run(r.Context(), &query.Request{
		Scope:  p.Tenants,
		Filter: f,
		Sort:   store.Sort{Field: store.ByOccurredAt, Desc: true},
		Kind:   query.Offset,
		Page:   prm.Page,
		Limit:  prm.PageSize,
		Total:  true,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if res.Total == 0 {
		// Nothing matched: either the case is unknown to this key (404) or
		// the action filter excluded all of a known case (an empty page).
		exists := false
		if prm.Action != "" {
			if exists, err = h.caseExists(r, p.Tenants, inCase); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		if !exists {
			writeError(w, http.StatusNotFound, msgNotFound)
			return
		}
	}
	out := auditLog{
		Data:       make([]entry, len(res.Events)),
		Pagination: newPagination(prm.Page, prm.PageSize, res.Total),
		Meta:       newMeta(time.Now()),
	}
	for i := range res.Events {
		out.Data[i] = toEntry(&res.Events[i])
	}
	httpapi.WriteJSON(w, http.StatusOK, "application/json", out)
}

// caseExists reports whether the tenants hold any event of the case.
func (h *auditLogHandler) caseExists(r *http.Request, tenants []uuid.UUID, f store.Filter) (bool, error) {
	res, err := h.s.Query.Run(r.Context(), &query.Request{
		Scope: tenants, Filter: f, Sort: store.Sort{Field: store.ByOccurredAt, Desc: true},
		Kind: query.Offset, Page: 1, Limit: 1,
	})
	if err != nil {
		return false, err
	}
	return len(res.Events) > 0, nil
}
