package fortuna_test

import (
	"regexp"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
)

// TestMain drops this process's PostgreSQL template database at the end.
func TestMain(m *testing.M) { pgtest.Main(m) }

const route = "/api/audit/records"

// The vendor's wire format, written from the seed page rather than taken
// from the implementation, so a renamed field fails these tests.
type recordPage struct {
	Page       int      `json:"page"`
	PageSize   int      `json:"pageSize"`
	TotalCount int64    `json:"totalCount"`
	Items      []record `json:"items"`
}

type record struct {
	ID                int64   `json:"id"`
	ExternalReference string  `json:"externalReference"`
	Context           *string `json:"context"`
	Category          string  `json:"category"`
	Operation         string  `json:"operation"`
	PerformedAt       string  `json:"performedAt"`
	ResultSummary     string  `json:"resultSummary"`
}

type problem struct {
	Type    string              `json:"type"`
	Title   string              `json:"title"`
	Status  int                 `json:"status"`
	Detail  string              `json:"detail"`
	Errors  map[string][]string `json:"errors"`
	TraceID string              `json:"traceId"`
}

var (
	performedAtRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	traceIDRE     = regexp.MustCompile(`^00-[0-9a-f]{32}-[0-9a-f]{16}-00$`)
)

// get fetches the route with query, presenting key in the vendor's header.
func get(s *apitest.Server, key, query string, headers ...string) *apitest.Response {
	path := route
	if query != "" {
		path += "?" + query
	}
	if key != "" {
		headers = append([]string{"X-Api-Key", key}, headers...)
	}
	return s.Do("GET", path, "", nil, headers...)
}

// page decodes a 200 answer and checks every record's timestamp format.
func page(t testing.TB, r *apitest.Response) recordPage {
	t.Helper()
	var p recordPage
	compattest.DecodeAnswer(t, r, 200, "application/json; charset=utf-8", &p)
	if p.Items == nil {
		t.Errorf("items is null, want a list: %s", r.Body)
	}
	for _, it := range p.Items {
		if !performedAtRE.MatchString(it.PerformedAt) {
			t.Errorf("performedAt %q is not UTC whole seconds with Z", it.PerformedAt)
		}
	}
	return p
}

// problemOf decodes an error answer and checks its envelope.
func problemOf(t testing.TB, r *apitest.Response, status int) problem {
	t.Helper()
	var p problem
	compattest.DecodeAnswer(t, r, status, "application/problem+json", &p)
	if p.Status != status || p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Errorf("problem lacks type/title/status/detail: %s", r.Body)
	}
	if !traceIDRE.MatchString(p.TraceID) {
		t.Errorf("traceId %q is not a W3C trace context id", p.TraceID)
	}
	if (status == 400) != (len(p.Errors) > 0) {
		t.Errorf("errors member present = %v for status %d: %s", len(p.Errors) > 0, status, r.Body)
	}
	return p
}

// recordIDs lists the ids of a page's records.
func recordIDs(items []record) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}
