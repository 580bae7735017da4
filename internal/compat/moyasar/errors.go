package moyasar

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// errorJSON is Moyasar's error body; errors is set only on a 422.
type errorJSON struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors,omitempty"`
}

// apiError is an answer other than 200, ready to render.
type apiError struct {
	status int
	body   errorJSON
}

func (e *apiError) Error() string { return e.body.Message }

func newError(status int, msg string) *apiError {
	return &apiError{status: status, body: errorJSON{Message: msg}}
}

var (
	errMissingAuth = newError(http.StatusUnauthorized, "Missing authentication information")
	// errInvalidAuth answers an unknown, revoked or malformed key and one
	// used from outside its IP allow-list alike.
	errInvalidAuth = newError(http.StatusUnauthorized, "Invalid authentication information")
	errForbidden   = newError(http.StatusForbidden, "Unauthorized")
	// errNotFound is the one answer for an entry that does not exist and
	// one of a tenant the key may not read.
	errNotFound    = newError(http.StatusNotFound, "Not found")
	errUnavailable = newError(http.StatusServiceUnavailable, "Service unavailable")
	errInternal    = newError(http.StatusInternalServerError, "Internal server error")
)

// refusals answer a request without a valid key or without
// audit_logs_read.
var refusals = dialect.Refusals{NoKey: errMissingAuth, BadKey: errInvalidAuth, NoScope: errForbidden}

// invalidParams is the 422 listing every bad parameter.
func invalidParams(errs map[string][]string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, body: errorJSON{Message: "Invalid query parameters", Errors: errs}}
}

// writeError renders err as a Moyasar error body. Errors that are not an
// *apiError come from the store or the engine: their text goes to the
// server log only. A request whose client went away gets no answer and is
// logged at Info (httpx.ClientGone).
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		if httpx.ClientGone(r, err) {
			httpx.Abandon(w, r, h.d.Log, "moyasar: request cancelled", slog.String("dialect", "moyasar"), slog.String("route", r.Pattern), slog.Any("err", err))
			return
		}
		ae = h.internal(r, err)
	}
	switch ae.status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="auditkeep"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	httpx.WriteJSON(w, ae.status, "application/json; charset=utf-8", ae.body)
}

func (h *handler) internal(r *http.Request, err error) *apiError {
	attrs := []any{slog.String("dialect", "moyasar"), slog.String("route", r.Pattern), slog.Any("err", err)}
	switch httpx.StatusOf(err) {
	case http.StatusUnauthorized:
		return errInvalidAuth
	case http.StatusNotFound:
		return errNotFound
	case http.StatusBadRequest:
		// The dialect validates everything the engine checks; this is a
		// safety net that still names no internals.
		return invalidParams(map[string][]string{"request": {"is not valid"}})
	case http.StatusServiceUnavailable:
		h.d.Log.WarnContext(r.Context(), "moyasar: unavailable", attrs...)
		if msg, ok := dialect.TimedOut(err); ok {
			return newError(http.StatusServiceUnavailable, msg)
		}
		return errUnavailable
	}
	h.d.Log.ErrorContext(r.Context(), "moyasar: internal error", attrs...)
	return errInternal
}
