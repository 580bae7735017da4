package fortuna_test

import (
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// TestIsolation checks that a key reads its tenant and its descendants and
// nothing else, whatever the filters name.
func TestIsolation(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := compattest.NewFamily(t, engine, "events:read")

		// Every tenant writes the same kind of records with the same
		// external reference, so only the scope tells them apart.
		ev := func(ctx string) map[string]any {
			return map[string]any{"category": "Cpr", "action": "lookup", "external_ref": "shared-ref", "context": ctx}
		}
		stored := map[string][]int64{}
		for _, name := range []string{"a", "a1", "b"} {
			for _, e := range s.Ingest(s.Key(s.Tenants[name].ID, "events:write"), ev(name), ev(name)) {
				stored[name] = append(stored[name], e.ID)
			}
		}

		tests := []struct {
			name  string
			key   string
			query string
			want  []string // tenants whose records are visible
		}{
			{"parent sees its subtree", s.Keys["a"], "", []string{"a", "a1"}},
			{"child sees itself only", s.Keys["a1"], "", []string{"a1"}},
			{"sibling sees itself only", s.Keys["b"], "", []string{"b"}},
			{"filters do not widen", s.Keys["b"], "externalReference=shared-ref&category=Cpr&operation=lookup", []string{"b"}},
			{"bearer key alike", "", "", []string{"a1"}},
		}
		bearer := s.Keys["a1"]
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				var r *apitest.Response
				if tc.key == "" {
					r = get(s.Server, "", tc.query, "Authorization", "Bearer "+bearer)
				} else {
					r = get(s.Server, tc.key, tc.query)
				}
				p := page(t, r)
				compattest.CheckScope(t, stored, tc.want, recordIDs(p.Items), p.TotalCount)
			})
		}
	})
}
