package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/query"
)

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
	if httpx.ClientGone(r, err) {
		httpx.Abandon(w, r, s.log, "request cancelled", slog.String("route", r.Pattern), slog.Any("err", err))
		return
	}
	status := httpx.StatusOf(err)
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
	var te *query.TimeoutError
	switch {
	case errors.As(err, &fe):
		return fe.Error()
	case errors.As(err, &te):
		return te.Error()
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
