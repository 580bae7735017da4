package frankieone_test

import (
	"fmt"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// listAnswer is GET /v2/audit's answer, decoded strictly enough to notice a
// renamed field.
type listAnswer struct {
	RequestID string `json:"requestId"`
	Meta      struct {
		Page       int      `json:"page"`
		Total      int64    `json:"total"`
		Limit      int      `json:"limit"`
		Count      int      `json:"count"`
		Sort       string   `json:"sort"`
		SortFields []string `json:"sortFields"`
	} `json:"meta"`
	Events []map[string]any `json:"events"`
}

// errorAnswer is FrankieOne's error object.
type errorAnswer struct {
	ErrorCode      string `json:"errorCode"`
	ErrorMsg       string `json:"errorMsg"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	Details        []struct {
		Issue         string `json:"issue"`
		IssueLocation string `json:"issueLocation"`
		IssueType     string `json:"issueType"`
	} `json:"details"`
	RequestID string `json:"requestId"`
}

func (e *errorAnswer) locations() []string {
	out := []string{}
	for _, d := range e.Details {
		out = append(out, d.IssueLocation)
	}
	return out
}

// fixture is a server with customers, known by ref, and their
// events:read keys.
type fixture struct{ *compattest.Fixture }

// newFixture makes a server with the tenants given as ref → parent ref
// ("" for a child of the root), each with an events:read key.
func newFixture(t testing.TB, engine string, tree [][2]string) *fixture {
	t.Helper()
	f := &fixture{compattest.NewFixture(t, engine, "events:read")}
	for _, n := range tree {
		f.Add(n[0], "Tenant "+n[0], "customer", n[1])
	}
	return f
}

// get sends GET /v2/audit with an api_key and headers.
func (f *fixture) get(key, customer, rawQuery string, headers ...string) *apitest.Response {
	h := append([]string{}, headers...)
	if key != "" {
		h = append(h, "api_key", key)
	}
	if customer != "" {
		h = append(h, "X-Frankie-CustomerID", customer)
	}
	path := "/v2/audit"
	if rawQuery != "" {
		path += "?" + rawQuery
	}
	return f.Do("GET", path, "", nil, h...)
}

// list decodes a 200 answer, failing the test on anything else.
func (f *fixture) list(t testing.TB, key, customer, rawQuery string, headers ...string) listAnswer {
	t.Helper()
	var a listAnswer
	compattest.DecodeAnswer(t, f.get(key, customer, rawQuery, headers...), 200, "application/json", &a)
	return a
}

// eventIDs lists the eventId of each event.
func eventIDs(a listAnswer) []string {
	out := []string{}
	for _, e := range a.Events {
		out = append(out, fmt.Sprint(e["eventId"]))
	}
	return out
}
