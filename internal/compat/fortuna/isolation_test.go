package fortuna_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
)

// TestIsolation checks that a key reads its tenant and its descendants and
// nothing else, whatever the filters name.
func TestIsolation(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		a := s.Tenant("Operator A", "operator", "op-a", uuid.Nil)
		a1 := s.Tenant("Brand A1", "brand", "brand-a1", a.ID)
		b := s.Tenant("Operator B", "operator", "op-b", uuid.Nil)

		// Every tenant writes the same kind of records with the same
		// external reference, so only the scope tells them apart.
		ev := func(ctx string) map[string]any {
			return map[string]any{"category": "Cpr", "action": "lookup", "external_ref": "shared-ref", "context": ctx}
		}
		stored := map[string][]int64{}
		for name, tn := range map[string]uuid.UUID{"a": a.ID, "a1": a1.ID, "b": b.ID} {
			for _, e := range s.Ingest(s.Key(tn, "events:write"), ev(name), ev(name)) {
				stored[name] = append(stored[name], e.ID)
			}
		}

		tests := []struct {
			name  string
			key   string
			query string
			want  []string // tenants whose records are visible
		}{
			{"parent sees its subtree", s.Key(a.ID, "events:read"), "", []string{"a", "a1"}},
			{"child sees itself only", s.Key(a1.ID, "events:read"), "", []string{"a1"}},
			{"sibling sees itself only", s.Key(b.ID, "events:read"), "", []string{"b"}},
			{"filters do not widen", s.Key(b.ID, "events:read"), "externalReference=shared-ref&category=Cpr&operation=lookup", []string{"b"}},
			{"bearer key alike", "", "", []string{"a1"}},
		}
		bearer := s.Key(a1.ID, "events:read")
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				var r *apitest.Response
				if tc.key == "" {
					r = get(s, "", tc.query, "Authorization", "Bearer "+bearer)
				} else {
					r = get(s, tc.key, tc.query)
				}
				p := page(t, r)
				var want []int64
				for _, tn := range tc.want {
					want = append(want, stored[tn]...)
				}
				var got []int64
				for _, it := range p.Items {
					got = append(got, it.ID)
				}
				slices.Sort(want)
				slices.Sort(got)
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("visible records (-want +got):\n%s", d)
				}
				if p.TotalCount != int64(len(want)) {
					t.Errorf("totalCount %d counts records outside the scope; want %d", p.TotalCount, len(want))
				}
			})
		}
	})
}
