package fortuna_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
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

// decodeStrict decodes a body refusing unknown fields and trailing data.
func decodeStrict(t testing.TB, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	if dec.More() {
		t.Fatalf("trailing data after JSON: %s", b)
	}
}

// page decodes a 200 answer and checks every record's timestamp format.
func page(t testing.TB, r *apitest.Response) recordPage {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("status %d, want 200: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	var p recordPage
	decodeStrict(t, r.Body, &p)
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
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("content type %q, want application/problem+json", ct)
	}
	var p problem
	decodeStrict(t, r.Body, &p)
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

// named ingests events and returns their ids by name and names by id.
type named struct {
	ids   map[string]int64
	names map[int64]string
}

func ingestNamed(s *apitest.Server, key string, evs []namedEvent) named {
	in := make([]map[string]any, len(evs))
	for i, e := range evs {
		in[i] = e.ev
	}
	out := s.Ingest(key, in...)
	n := named{ids: map[string]int64{}, names: map[int64]string{}}
	for i, e := range out {
		n.ids[evs[i].name] = e.ID
		n.names[e.ID] = evs[i].name
	}
	return n
}

type namedEvent struct {
	name string
	ev   map[string]any
}

// namesOf maps a page's ids back to names ("?" for an id not ingested by
// the test, which is always a failure).
func (n named) namesOf(items []record) []string {
	out := []string{}
	for _, it := range items {
		name, ok := n.names[it.ID]
		if !ok {
			name = "?"
		}
		out = append(out, name)
	}
	return out
}
