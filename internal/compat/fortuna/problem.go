package fortuna

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/auditkeep/auditkeep/internal/httpx"
)

// problemContentType is RFC 9457's media type for problem details.
const problemContentType = "application/problem+json"

// problem is an RFC 9457 problem details document shaped as ASP.NET Core
// writes one, which is what a client of the vendor's service parses:
// "errors" carries validation messages by parameter, "traceId" the W3C
// trace context id of the request.
type problem struct {
	Type    string      `json:"type"`
	Title   string      `json:"title"`
	Status  int         `json:"status"`
	Detail  string      `json:"detail"`
	Errors  fieldErrors `json:"errors,omitempty"`
	TraceID string      `json:"traceId"`
}

// problemKinds are type and title by status, as ASP.NET Core's defaults
// name them (RFC 9110's sections).
var problemKinds = map[int]struct{ typ, title string }{
	http.StatusBadRequest:          {"https://tools.ietf.org/html/rfc9110#section-15.5.1", "One or more validation errors occurred."},
	http.StatusUnauthorized:        {"https://tools.ietf.org/html/rfc9110#section-15.5.2", "Unauthorized"},
	http.StatusForbidden:           {"https://tools.ietf.org/html/rfc9110#section-15.5.4", "Forbidden"},
	http.StatusNotFound:            {"https://tools.ietf.org/html/rfc9110#section-15.5.5", "Not Found"},
	http.StatusInternalServerError: {"https://tools.ietf.org/html/rfc9110#section-15.6.1", "An error occurred while processing your request."},
	http.StatusServiceUnavailable:  {"https://tools.ietf.org/html/rfc9110#section-15.6.4", "Service Unavailable"},
}

// newProblem fills in type and title for status; a status without its
// own row is reported as a 500, which says nothing more.
func newProblem(r *http.Request, status int, detail string) *problem {
	k, ok := problemKinds[status]
	if !ok {
		status = http.StatusInternalServerError
		k = problemKinds[status]
	}
	return &problem{Type: k.typ, Title: k.title, Status: status, Detail: detail, TraceID: traceID(r)}
}

func writeProblem(w http.ResponseWriter, p *problem) {
	switch p.Status {
	case http.StatusUnauthorized:
		// RFC 9110 requires a challenge; both ways of presenting a key work.
		w.Header().Add("WWW-Authenticate", `ApiKey header="X-Api-Key"`)
		w.Header().Add("WWW-Authenticate", `Bearer realm="auditkeep"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	httpx.WriteJSON(w, p.Status, problemContentType, p)
}

// traceID is the request's W3C trace context id, "00-{trace}-{span}-00",
// as ASP.NET Core reports it. A valid incoming traceparent lends its trace
// id, so the error can be found in the caller's traces; the span is ours.
func traceID(r *http.Request) string {
	trace := incomingTrace(r.Header.Get("traceparent"))
	if trace == "" {
		trace = randomHex(16)
	}
	return "00-" + trace + "-" + randomHex(8) + "-00"
}

// incomingTrace returns the trace id of a well-formed version-00
// traceparent header, or "".
func incomingTrace(h string) string {
	parts := strings.Split(strings.TrimSpace(h), "-")
	if len(parts) != 4 || parts[0] != "00" || !lowerHex(parts[1], 32) || !lowerHex(parts[2], 16) || !lowerHex(parts[3], 2) {
		return ""
	}
	if strings.Trim(parts[1], "0") == "" || strings.Trim(parts[2], "0") == "" {
		return "" // all-zero ids are invalid
	}
	return parts[1]
}

func lowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand does not fail on supported platforms
	return hex.EncodeToString(b)
}
