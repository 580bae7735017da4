package fortuna

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/query"
)

// records serves GET /api/audit/records.
type records struct {
	d Deps
}

func (h *records) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, err := h.d.Auth.Authenticate(r, dialect.Key(r, "X-Api-Key"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !p.Has(auth.ScopeEventsRead) {
		writeProblem(w, newProblem(r, http.StatusForbidden, "This API key lacks the scope "+auth.ScopeEventsRead+"."))
		return
	}
	prm, errs := parseParams(r.URL.RawQuery, h.d.Query)
	if len(errs) > 0 {
		pr := newProblem(r, http.StatusBadRequest, "See the errors property for details.")
		pr.Errors = errs
		writeProblem(w, pr)
		return
	}
	res, err := h.d.Read.Run(r.Context(), p, &query.Request{
		Filter: prm.filter(),
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
	out := recordPage{Page: prm.Page, PageSize: prm.PageSize, TotalCount: res.Total, Items: make(httpx.Items[record], len(res.Events))}
	for i := range res.Events {
		out.Items[i] = toRecord(&res.Events[i])
	}
	httpx.WriteStream(w, http.StatusOK, "application/json; charset=utf-8", out, out.Items)
}

// fail answers an error from authentication or the engine. Only the
// status and a fixed sentence reach the client; a 500 or 503 is logged
// with its cause and the trace id the client sees. A request whose client
// went away gets no answer and is logged at Info (httpx.ClientGone).
func (h *records) fail(w http.ResponseWriter, r *http.Request, err error) {
	if httpx.ClientGone(r, err) {
		httpx.Abandon(w, r, h.d.Log, "fortuna: request cancelled", slog.Any("err", err))
		return
	}
	status := httpx.StatusOf(err)
	var pr *problem
	switch status {
	case http.StatusUnauthorized:
		pr = newProblem(r, status, "A valid API key is required in the X-Api-Key header.")
	case http.StatusBadRequest:
		// Parameters are validated above with the vendor's bounds, so this
		// is the engine refusing something they let through.
		pr = newProblem(r, status, "See the errors property for details.")
		field, msg := "request", err.Error()
		var fe *event.FieldError
		if errors.As(err, &fe) {
			if fe.Field != "" {
				field = fe.Field
			}
			msg = fe.Message
		}
		pr.Errors = fieldErrors{field: {msg}}
	case http.StatusServiceUnavailable:
		pr = newProblem(r, status, "The audit store is unavailable; retry later.")
		if msg, ok := dialect.TimedOut(err); ok {
			pr.Detail = msg
		}
		h.d.Log.WarnContext(r.Context(), "fortuna: unavailable", slog.String("traceId", pr.TraceID), slog.Any("err", err))
	default:
		pr = newProblem(r, http.StatusInternalServerError, "The server log has the details; quote the traceId.")
		h.d.Log.ErrorContext(r.Context(), "fortuna: internal error", slog.String("traceId", pr.TraceID), slog.Any("err", err))
	}
	writeProblem(w, pr)
}
