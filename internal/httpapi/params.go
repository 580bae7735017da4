package httpapi

import (
	"net/http"
	"slices"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// singleParams parses r's query strictly and returns the value of each
// parameter, which must be one of allowed and given at most once: a route
// that quietly ignored a parameter it does not take would answer a
// question the client did not ask.
func (s *Server) singleParams(r *http.Request, allowed ...string) (map[string]string, error) {
	q, err := httpx.ParseQuery(r.URL.RawQuery, s.cfg.Query)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(q))
	for _, p := range q {
		if !slices.Contains(allowed, p.Name) {
			return nil, event.Invalid(p.Name, "is not a known parameter")
		}
		if _, dup := out[p.Name]; dup {
			return nil, event.Invalid(p.Name, "must be given once")
		}
		out[p.Name] = p.Value
	}
	return out, nil
}
