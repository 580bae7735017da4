package frankieone_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/store"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current answers")

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

// decodeStrict decodes b into v, refusing fields v does not know.
func decodeStrict(t testing.TB, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// fixture is a server with customers and keys.
type fixture struct {
	s       *apitest.Server
	tenants map[string]store.Tenant // by ref
	readers map[string]string       // events:read key by tenant ref
	writer  string                  // root key that writes for any tenant
}

// newFixture makes a server with the tenants given as ref → parent ref
// ("" for a child of the root), each with an events:read key.
func newFixture(t *testing.T, engine string, tree [][2]string) *fixture {
	t.Helper()
	s := apitest.New(t, engine)
	f := &fixture{s: s, tenants: map[string]store.Tenant{}, readers: map[string]string{}, writer: s.Key(s.Root.ID, "events:write")}
	for _, n := range tree {
		parent := uuid.Nil
		if n[1] != "" {
			parent = f.tenants[n[1]].ID
		}
		tn := s.Tenant("Tenant "+n[0], "customer", n[0], parent)
		f.tenants[n[0]] = tn
		f.readers[n[0]] = s.Key(tn.ID, "events:read")
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
	return f.s.Do("GET", path, "", nil, h...)
}

// list decodes a 200 answer, failing the test on anything else.
func (f *fixture) list(t testing.TB, key, customer, rawQuery string, headers ...string) listAnswer {
	t.Helper()
	r := f.get(key, customer, rawQuery, headers...)
	if r.Status != 200 {
		t.Fatalf("GET /v2/audit?%s: %d %s", rawQuery, r.Status, r.Body)
	}
	var a listAnswer
	decodeStrict(t, r.Body, &a)
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
