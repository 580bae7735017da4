package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/auditkeep/auditkeep/internal/event"
)

// StatusOf is the one table from domain errors to HTTP statuses. Anything
// not in it is a 500 whose body says nothing internal. Each surface
// renders the status in its own error format.
func StatusOf(err error) int {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, event.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, event.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, event.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, event.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, event.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, event.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, event.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// StatusClientClosed is the status a request is recorded with when its
// client went away before the answer: nginx's 499, "client closed
// request". No answer reaches the client; the status is for the request
// log and the metrics, which must not count it as a server error.
const StatusClientClosed = 499

// ClientGone reports whether err ended r because its client went away:
// r's context is cancelled and err would otherwise be answered with a
// 5xx. Errors with an answer of their own (a refused key, say) keep it.
func ClientGone(r *http.Request, err error) bool {
	return StatusOf(err) >= 500 && errors.Is(r.Context().Err(), context.Canceled)
}

// Abandon ends a request ClientGone reported on: nothing is wrong on our
// side, so msg and attrs are logged at Info, and the request is recorded
// as StatusClientClosed, with no body.
func Abandon(w http.ResponseWriter, r *http.Request, log *slog.Logger, msg string, attrs ...any) {
	log.InfoContext(r.Context(), msg, attrs...)
	w.WriteHeader(StatusClientClosed)
}
