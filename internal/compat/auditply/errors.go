package auditply

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// errorBody is the dialect's error answer: the vendor's envelope with an
// error in place of data and pagination.
type errorBody struct {
	Error errorDetail `json:"error"`
	Meta  meta        `json:"meta"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes by status. Upper snake case, like the vendor's action names.
var errorCodes = map[int]string{
	http.StatusBadRequest:          "BAD_REQUEST",
	http.StatusUnauthorized:        "UNAUTHORIZED",
	http.StatusForbidden:           "FORBIDDEN",
	http.StatusNotFound:            "NOT_FOUND",
	http.StatusInternalServerError: "INTERNAL_ERROR",
	http.StatusServiceUnavailable:  "SERVICE_UNAVAILABLE",
}

// Messages that do not depend on the request. The 404's names no id, so
// it is the same text whoever owns the case.
const (
	msgNoKey       = "missing API key: send it in the X-API-Key header"
	msgBadKey      = "invalid API key"
	msgNoScope     = "this API key lacks the scope kyc:read"
	msgNotFound    = "KYC case not found"
	msgUnavailable = "the service is temporarily unavailable; retry later"
	msgInternal    = "internal server error"
)

// writeError writes the error body for status; a status without a code of
// its own is reported as a 500, which says nothing more.
func writeError(w http.ResponseWriter, status int, msg string) {
	code, ok := errorCodes[status]
	if !ok {
		status, code, msg = http.StatusInternalServerError, errorCodes[http.StatusInternalServerError], msgInternal
	}
	switch status {
	case http.StatusUnauthorized:
		// RFC 9110 requires a challenge; both ways of presenting a key work.
		w.Header().Add("WWW-Authenticate", `ApiKey header="X-API-Key"`)
		w.Header().Add("WWW-Authenticate", `Bearer realm="auditkeep"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	httpx.WriteJSON(w, status, "application/json", errorBody{
		Error: errorDetail{Code: code, Message: msg},
		Meta:  newMeta(time.Now()),
	})
}

// fail answers an error from authentication or the engine. The client
// reads a status and a fixed sentence; the cause goes to the log. A
// request whose client went away gets no answer and is logged at Info
// (httpx.ClientGone).
func (h *auditLogHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if httpx.ClientGone(r, err) {
		httpx.Abandon(w, r, h.d.Log, "auditply: request cancelled", slog.Any("err", err))
		return
	}
	status := httpx.StatusOf(err)
	switch status {
	case http.StatusUnauthorized:
		msg := msgBadKey
		if dialect.Key(r, keyHeader) == "" {
			msg = msgNoKey
		}
		writeError(w, status, msg)
	case http.StatusBadRequest:
		// Parameters are validated with the vendor's bounds before the
		// engine runs, so this is the engine refusing what they let pass.
		// Only a field error's text is written for a client to read.
		msg := "invalid request"
		var fe *event.FieldError
		if errors.As(err, &fe) {
			msg = fe.Error()
		}
		writeError(w, status, msg)
	case http.StatusServiceUnavailable:
		h.d.Log.WarnContext(r.Context(), "auditply: unavailable", slog.Any("err", err))
		msg := msgUnavailable
		if m, ok := dialect.TimedOut(err); ok {
			msg = m
		}
		writeError(w, status, msg)
	default:
		h.d.Log.ErrorContext(r.Context(), "auditply: internal error", slog.Any("err", err))
		writeError(w, http.StatusInternalServerError, msgInternal)
	}
}
