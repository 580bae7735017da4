package auditply

import (
	"net/http"
	"time"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/query"
)

// caseTargetType is the target type that makes an event part of a case.
const caseTargetType = "kyc_case"

// keyHeader is the vendor's key header; a Bearer token works too.
const keyHeader = "X-API-Key"

// auditLogHandler serves GET /api/v1/kyc/cases/{id}/audit-log.
type auditLogHandler struct {
	d Deps
}

func (h *auditLogHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, err := h.d.Auth.Authenticate(r, dialect.Key(r, keyHeader))
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
	prm, err := parseParams(r.URL.RawQuery, h.d.Query)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	prm.CaseID = caseID

	inCase := query.Filter{Targets: []query.TargetRef{{Type: caseTargetType, ID: prm.CaseID}}}
	f := inCase
	if prm.Action != "" {
		f.Actions = []string{prm.Action}
	}
	res, err := h.d.Read.Run(r.Context(), p, &query.Request{
		Filter: f,
		Sort:   query.Sort{Field: query.ByOccurredAt, Desc: true},
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
			if exists, err = h.caseExists(r, p, inCase); err != nil {
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
		Data:       make(httpx.Items[entry], len(res.Events)),
		Pagination: newPagination(prm.Page, prm.PageSize, res.Total),
		Meta:       newMeta(time.Now()),
	}
	for i := range res.Events {
		out.Data[i] = toEntry(&res.Events[i])
	}
	httpx.WriteStream(w, http.StatusOK, "application/json", out, out.Data)
}

// caseExists reports whether p's tenants hold any event of the case.
func (h *auditLogHandler) caseExists(r *http.Request, p *auth.Principal, f query.Filter) (bool, error) {
	res, err := h.d.Read.Run(r.Context(), p, &query.Request{
		Filter: f, Sort: query.Sort{Field: query.ByOccurredAt, Desc: true},
		Kind: query.Offset, Page: 1, Limit: 1,
	})
	if err != nil {
		return false, err
	}
	return len(res.Events) > 0, nil
}
