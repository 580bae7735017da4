package frankieone

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// errorJSON is FrankieOne's error object.
type errorJSON struct {
	ErrorCode      string      `json:"errorCode"`
	ErrorMsg       string      `json:"errorMsg"`
	HTTPStatusCode int         `json:"httpStatusCode"`
	Details        []issueJSON `json:"details"`
	RequestID      string      `json:"requestId"`
}

// issueJSON is one entry of details: what is wrong and where.
type issueJSON struct {
	Issue         string `json:"issue"`
	IssueLocation string `json:"issueLocation"`
	IssueType     string `json:"issueType"`
}

// Issue types (ours: FrankieOne documents the field as a free category).
const (
	issueRequired     = "REQUIRED"
	issueInvalid      = "INVALID"
	issueUnauthorized = "UNAUTHORIZED"
)

// apiError is an answer other than 200, ready to render.
type apiError struct {
	status  int
	code    string
	msg     string
	details []issueJSON
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

const (
	msgNoKey   = "No api key provided. Access denied."
	msgBadAuth = "Invalid Authentication provided. Access denied."
)

var (
	errNoKey = &apiError{status: http.StatusUnauthorized, code: "AUTH-0401", msg: msgNoKey, details: []issueJSON{{
		Issue: "the api_key header is missing", IssueLocation: "AUTH-api_key", IssueType: issueUnauthorized,
	}}}
	// errBadKey covers an unknown, revoked or malformed key, one used from
	// outside its IP allow-list and one without events:read: FrankieOne
	// declares no 403, and telling them apart would help a key thief.
	errBadKey = &apiError{status: http.StatusUnauthorized, code: "AUTH-0002", msg: msgBadAuth, details: []issueJSON{{
		Issue: "the api_key is not valid for this request", IssueLocation: "AUTH-api_key", IssueType: issueUnauthorized,
	}}}
	// errCustomer is the one answer for a customer that does not exist and
	// one the key may not read, so the answer reveals no other tenant.
	errCustomer = &apiError{status: http.StatusUnauthorized, code: "AUTH-0002", msg: msgBadAuth, details: []issueJSON{{
		Issue:         "X-Frankie-CustomerID does not name a customer this api_key may access",
		IssueLocation: "AUTH-" + headerCustomer, IssueType: issueUnauthorized,
	}}}
	errChild = &apiError{status: http.StatusUnauthorized, code: "AUTH-0002", msg: msgBadAuth, details: []issueJSON{{
		Issue:         "X-Frankie-CustomerChildID does not name a child account of this customer that this api_key may access",
		IssueLocation: "AUTH-" + headerChild, IssueType: issueUnauthorized,
	}}}
)

// refusals answer a request without a valid key. A key without
// events:read gets errBadKey too: FrankieOne declares no 403.
var refusals = dialect.Refusals{NoKey: errNoKey, BadKey: errBadKey, NoScope: errBadKey}

// badRequest is FrankieOne's answer to invalid parameters: every problem
// found, one detail each.
func badRequest(issues []issueJSON) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "API-0400", msg: "Multiple Errors: See Issues list", details: issues}
}

// writeError renders err as a FrankieOne error object. Errors that are not
// an *apiError come from the store or the engine: their text stays in the
// server log, under the request id the client is given. A request whose
// client went away gets no answer and is logged at Info
// (httpx.ClientGone).
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, requestID string, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		if httpx.ClientGone(r, err) {
			httpx.Abandon(w, r, h.d.Log, "frankieone: request cancelled", slog.String("dialect", "frankieone"), slog.String("requestId", requestID), slog.Any("err", err))
			return
		}
		ae = h.internal(r, requestID, err)
	}
	details := ae.details
	if details == nil {
		details = []issueJSON{}
	}
	if ae.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	httpx.WriteJSON(w, ae.status, "application/json", errorJSON{
		ErrorCode: ae.code, ErrorMsg: ae.msg, HTTPStatusCode: ae.status, Details: details, RequestID: requestID,
	})
}

// internal maps an error from below to FrankieOne's system errors.
func (h *handler) internal(r *http.Request, requestID string, err error) *apiError {
	attrs := []any{slog.String("dialect", "frankieone"), slog.String("requestId", requestID), slog.Any("err", err)}
	switch httpx.StatusOf(err) {
	case http.StatusUnauthorized:
		return errBadKey
	case http.StatusBadRequest:
		// The dialect validates everything the engine checks; this is a
		// safety net that still names no internals.
		if errors.Is(err, event.ErrInvalid) {
			return badRequest([]issueJSON{{Issue: "the request is not valid", IssueLocation: "VALIDATE-request", IssueType: issueInvalid}})
		}
	case http.StatusServiceUnavailable:
		h.d.Log.WarnContext(r.Context(), "frankieone: unavailable", attrs...)
		msg := "Service temporarily unavailable. Retry later."
		if m, ok := dialect.TimedOut(err); ok {
			msg = m
		}
		return &apiError{status: http.StatusServiceUnavailable, code: "SYS-0503", msg: msg}
	}
	h.d.Log.ErrorContext(r.Context(), "frankieone: internal error", attrs...)
	return &apiError{status: http.StatusInternalServerError, code: "SYS-0000", msg: "Unknown internal error. Contact developer support"}
}
