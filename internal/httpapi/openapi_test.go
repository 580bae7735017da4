package httpapi_test

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpapi"
)

type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
	Comps   struct {
		Schemas map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

type openAPIOperation struct {
	Parameters []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
}

// TestOpenAPIMatchesRoutes fails when the served document and the code
// drift apart: routes, list parameters, or the event's fields.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := apitest.New(t, "sqlite")
	r := s.Do("GET", "/openapi.json", "", nil)
	if r.Status != 200 {
		t.Fatalf("GET /openapi.json: %d", r.Status)
	}
	var doc openAPIDoc
	r.JSON(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}

	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	routes := httpapi.NativeRoutes()
	sort.Strings(documented)
	sort.Strings(routes)
	if diff := cmp.Diff(routes, documented); diff != "" {
		t.Errorf("routes (-code +document):\n%s", diff)
	}
	var params []string
	for _, p := range doc.Paths["/v1/events"]["get"].Parameters {
		params = append(params, p.Name)
	}
	code := httpapi.ListParams()
	sort.Strings(params)
	sort.Strings(code)
	if diff := cmp.Diff(code, params); diff != "" {
		t.Errorf("GET /v1/events parameters (-code +document):\n%s", diff)
	}

	// Each ledger route documents exactly the query parameters it takes.
	for pattern, code := range httpapi.LedgerParams() {
		method, path, _ := strings.Cut(pattern, " ")
		var named []string
		for _, p := range doc.Paths[path][strings.ToLower(method)].Parameters {
			named = append(named, p.Name)
		}
		sort.Strings(named)
		code = slices.Sorted(slices.Values(code))
		if diff := cmp.Diff(code, named, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s parameters (-code +document):\n%s", pattern, diff)
		}
	}

	// The event schemas list exactly the fields of the wire type.
	var fields []string
	rt := reflect.TypeOf(event.JSON{})
	for i := 0; i < rt.NumField(); i++ {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		fields = append(fields, name)
	}
	in := keys(doc.Comps.Schemas["EventInput"].Properties)
	out := keys(doc.Comps.Schemas["Event"].Properties)
	both := append(slices.Clone(in), out...)
	slices.Sort(both)
	both = slices.Compact(both)
	sort.Strings(fields)
	if diff := cmp.Diff(fields, both); diff != "" {
		t.Errorf("event fields (-event.JSON +document):\n%s", diff)
	}
	for _, assigned := range []string{"id", "seq", "recorded_at", "payload_digest"} {
		if slices.Contains(in, assigned) {
			t.Errorf("EventInput documents %s, which auditkeep assigns", assigned)
		}
	}
	if slices.Contains(out, "payload") {
		t.Error("Event documents payload, which is never returned")
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
