package frankieone

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/query"
)

// Deps are what the dialect serves from.
type Deps = dialect.Deps

// Serve registers the dialect's routes on mux.
func Serve(mux httpx.Mux, d Deps) {
	h := &handler{d: d}
	mux.Handle("GET /v2/audit", http.HandlerFunc(h.list))
}

// handler serves the dialect from the read service.
type handler struct {
	d Deps
}

// listJSON is the answer of GET /v2/audit.
type listJSON struct {
	RequestID string                 `json:"requestId"`
	Meta      metaJSON               `json:"meta"`
	Events    httpx.Items[eventJSON] `json:"events"`
}

// metaJSON describes the page: count is the events in it, total all
// matching events.
type metaJSON struct {
	Page       int      `json:"page"`
	Total      int64    `json:"total"`
	Limit      int      `json:"limit"`
	Count      int      `json:"count"`
	Sort       string   `json:"sort"`
	SortFields []string `json:"sortFields"`
}

// echoedSortFields is what meta.sortFields holds: the vendor's schema names
// the timestamp sort "createdAt" there (spec/compat.md, section 3).
var echoedSortFields = []string{"createdAt"}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID(time.Now())
	p, err := h.authenticate(r)
	if err != nil {
		h.writeError(w, r, requestID, err)
		return
	}
	params, issues := parseList(r, h.d.Query)
	if len(issues) > 0 {
		h.writeError(w, r, requestID, badRequest(issues))
		return
	}
	if params.channel != "" {
		h.d.Log.DebugContext(r.Context(), "frankieone: channel", slog.String("requestId", requestID), slog.String("channel", params.channel))
	}
	scope, err := h.customerScope(r.Context(), p, params.customer, params.child)
	if err != nil {
		h.writeError(w, r, requestID, err)
		return
	}
	res, err := h.d.Read.Run(r.Context(), p, &query.Request{
		Tenants: scope,
		Filter:  params.filter,
		Sort:    query.Sort{Field: query.ByOccurredAt, Desc: params.desc},
		Kind:    query.Offset,
		Limit:   params.limit,
		Page:    params.page,
		Total:   true,
	})
	if err != nil {
		h.writeError(w, r, requestID, err)
		return
	}
	out := listJSON{
		RequestID: requestID,
		Meta: metaJSON{
			Page: params.page, Total: res.Total, Limit: params.limit, Count: len(res.Events),
			Sort: "asc", SortFields: echoedSortFields,
		},
		Events: make(httpx.Items[eventJSON], len(res.Events)),
	}
	if params.desc {
		out.Meta.Sort = "desc"
	}
	for i := range res.Events {
		out.Events[i] = renderEvent(&res.Events[i])
	}
	httpx.WriteStream(w, http.StatusOK, "application/json", out, out.Events)
}

// authenticate checks the api_key header, or a Bearer token for clients
// that send one, and requires events:read: FrankieOne has no scope of its
// own.
func (h *handler) authenticate(r *http.Request) (*auth.Principal, error) {
	return dialect.Authenticate(h.d.Auth, r, dialect.Key(r, headerKey), auth.ScopeEventsRead, refusals)
}
