package moyasar_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/store"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current answers")

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

func decodeStrict(t testing.TB, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// fixture is a server with acquirers, merchants and their keys.
type fixture struct {
	s       *apitest.Server
	tenants map[string]store.Tenant // by ref
	keys    map[string]string       // audit_logs_read key by tenant ref
	writer  string                  // root key that writes for any tenant
}

// node is one tenant of a fixture: ref, kind, parent ref ("" for the
// root). A ref written "-name" makes a tenant without a ref, known to the
// fixture as name.
type node struct{ ref, kind, parent string }

func newFixture(t *testing.T, engine string, tree []node) *fixture {
	t.Helper()
	s := apitest.New(t, engine)
	f := &fixture{s: s, tenants: map[string]store.Tenant{}, keys: map[string]string{}, writer: s.Key(s.Root.ID, "events:write")}
	for _, n := range tree {
		parent := uuid.Nil
		if n.parent != "" {
			parent = f.tenants[n.parent].ID
		}
		f.add(n.ref, "Org "+strings.TrimPrefix(n.ref, "-"), n.kind, parent)
	}
	return f
}

// add makes a tenant with an audit_logs_read key.
func (f *fixture) add(ref, name, kind string, parent uuid.UUID) store.Tenant {
	key, stored := strings.TrimPrefix(ref, "-"), ref
	if key != ref {
		stored = ""
	}
	tn := f.s.Tenant(name, kind, stored, parent)
	f.tenants[key] = tn
	f.keys[key] = f.s.Key(tn.ID, "audit_logs_read")
	return tn
}

func (f *fixture) get(key, path string, headers ...string) *apitest.Response {
	return f.s.Do("GET", path, key, nil, headers...)
}

func (f *fixture) list(t testing.TB, key, rawQuery string) listAnswer {
	t.Helper()
	path := "/v1/audit_logs"
	if rawQuery != "" {
		path += "?" + rawQuery
	}
	r := f.get(key, path)
	if r.Status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	var a listAnswer
	decodeStrict(t, r.Body, &a)
	return a
}

func entryIDs(a listAnswer) []string {
	out := []string{}
	for _, e := range a.AuditLogs {
		out = append(out, e.ID)
	}
	return out
}

// checkGolden compares got with testdata/golden/name.json, or rewrites it
// with -update (from the SQLite run, so both engines must agree with it).
func checkGolden(t *testing.T, engine, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name+".json")
	if *update && engine == "sqlite" {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}
