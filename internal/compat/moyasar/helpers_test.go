package moyasar_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// entry is one audit log entry, decoded strictly enough to notice a
// renamed or missing field (every field is a pointer or has a nullable
// type, and the test checks presence separately where it matters).
type entry struct {
	ID               string          `json:"id"`
	PerformerType    *string         `json:"performer_type"`
	Performer        *performer      `json:"performer"`
	OrganizationType *string         `json:"organization_type"`
	Organization     *organization   `json:"organization"`
	SubjectType      *string         `json:"subject_type"`
	SubjectID        *string         `json:"subject_id"`
	LoginSessionID   *string         `json:"login_session_id"`
	Action           string          `json:"action"`
	ActionType       string          `json:"action_type"`
	Description      string          `json:"description"`
	Metadata         json.RawMessage `json:"metadata"`
	CreatedAt        string          `json:"created_at"`
}

type performer struct {
	ID    *string `json:"id"`
	Email *string `json:"email"`
}

type organization struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	MerchantID *string `json:"merchant_id"`
}

type listAnswer struct {
	AuditLogs []entry `json:"audit_logs"`
	Meta      struct {
		CurrentPage int  `json:"current_page"`
		NextPage    *int `json:"next_page"`
		PrevPage    *int `json:"prev_page"`
	} `json:"meta"`
}

type errorAnswer struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"`
}

// sortStrings compares string slices as sets.
var sortStrings = cmpopts.SortSlices(func(a, b string) bool { return a < b })

// fixture is a server with acquirers and merchants, known by ref, and
// their audit_logs_read keys.
type fixture struct{ *compattest.Fixture }

// node is one tenant of a fixture: ref, kind, parent ref ("" for the
// root). A ref written "-name" makes a tenant without a ref, known to the
// fixture as name.
type node struct{ ref, kind, parent string }

func newFixture(t testing.TB, engine string, tree []node) *fixture {
	t.Helper()
	f := &fixture{compattest.NewFixture(t, engine, "audit_logs_read")}
	for _, n := range tree {
		f.Add(n.ref, "Org "+strings.TrimPrefix(n.ref, "-"), n.kind, n.parent)
	}
	return f
}

func (f *fixture) get(key, path string, headers ...string) *apitest.Response {
	return f.Do("GET", path, key, nil, headers...)
}

func (f *fixture) list(t testing.TB, key, rawQuery string) listAnswer {
	t.Helper()
	path := "/v1/audit_logs"
	if rawQuery != "" {
		path += "?" + rawQuery
	}
	var a listAnswer
	compattest.DecodeAnswer(t, f.get(key, path), 200, "application/json; charset=utf-8", &a)
	return a
}

func entryIDs(a listAnswer) []string {
	out := []string{}
	for _, e := range a.AuditLogs {
		out = append(out, e.ID)
	}
	return out
}
