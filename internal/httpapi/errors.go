package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/auditkeep/auditkeep/internal/event"
)

// statusOf is the one table from domain errors to HTTP statuses. Anything
// not in it is a 500 whose body says nothing internal.
func statusOf(err error) int {
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

// StatusOf exposes the table to the dialects, which render their own bodies.
func StatusOf(err error) int { return statusOf(err) }

// StatusClientClosed is the status a request is recorded with when its
// client went away before the answer: nginx's 499, "client closed
// request". No answer reaches the client; the status is for the request
// log and the metrics, which must not count it as a server error.
const StatusClientClosed = 499

// ClientGone reports whether err ended r because its client went away:
// r's context is cancelled and err would otherwise be answered with a
// 5xx. Errors with an answer of their own (a refused key, say) keep it.
func ClientGone(r *http.Request, err error) bool {
	return statusOf(err) >= 500 && errors.Is(r.Context().Err(), context.Canceled)
}

// Abandon ends a request ClientGone reported on: nothing is wrong on our
// side, so msg and attrs are logged at Info, and the request is recorded
// as StatusClientClosed, with no body.
func Abandon(w http.ResponseWriter, r *http.Request, log *slog.Logger, msg string, attrs ...any) {
	log.InfoContext(r.Context(), msg, attrs...)
	w.WriteHeader(StatusClientClosed)
}

// errorBody is the native API's error document.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

var codes = map[int]string{
	http.StatusBadRequest:            "invalid",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusServiceUnavailable:    "unavailable",
	http.StatusInternalServerError:   "internal",
}

// writeError renders err in the native format and logs what a 500 hides.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if ClientGone(r, err) {
		Abandon(w, r, s.log, "request cancelled", slog.String("route", r.Pattern), slog.Any("err", err))
		return
	}
	status := statusOf(err)
	d := errorDetail{Status: status, Code: codes[status], Message: publicMessage(status, err)}
	var fe *event.FieldError
	if errors.As(err, &fe) {
		d.Field = fe.Field
	}
	switch status {
	case http.StatusInternalServerError:
		s.log.ErrorContext(r.Context(), "internal error", slog.String("route", r.Pattern), slog.Any("err", err))
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
		s.log.WarnContext(r.Context(), "unavailable", slog.String("route", r.Pattern), slog.Any("err", err))
	}
	writeJSON(w, status, errorBody{Error: d})
}

// publicMessage is what a client may read about err.
func publicMessage(status int, err error) string {
	var fe *event.FieldError
	switch {
	case errors.As(err, &fe):
		return fe.Error()
	case status == http.StatusInternalServerError:
		return "internal error; the server log has the details"
	case status == http.StatusServiceUnavailable:
		return "the database is unavailable; retry later"
	case status == http.StatusRequestEntityTooLarge:
		return "request body is too large"
	case status == http.StatusNotFound:
		return "not found"
	}
	return err.Error()
}
