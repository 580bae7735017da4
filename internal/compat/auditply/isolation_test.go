package auditply_test

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// TestIsolation checks that a key reads the cases of its tenant and its
// descendants only, and that another tenant's case is answered exactly as
// a case that does not exist.
func TestIsolation(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := compattest.NewFamily(t, engine, "kyc:read")
		s := f.Server

		// Case 42 exists in A and in its child; case 77 only in B.
		stored := map[string][]int64{}
		for _, w := range []struct {
			tenant  string
			caseID  string
			actions []string
		}{
			{"a", "42", []string{"CASE_CREATED", "STATUS_CHANGED"}},
			{"a1", "42", []string{"ANSWER_SAVED"}},
			{"b", "77", []string{"CASE_CREATED", "STATUS_CHANGED"}},
			{"b", "42", []string{"STATUS_CHANGED"}},
		} {
			for _, act := range w.actions {
				e := s.Ingest(s.Key(f.Tenants[w.tenant].ID, "events:write"), map[string]any{"action": act, "targets": onCase(w.caseID, "", "")})[0]
				stored[w.tenant+"/"+w.caseID] = append(stored[w.tenant+"/"+w.caseID], e.ID)
			}
		}
		keyA, keyA1, keyB := f.Keys["a"], f.Keys["a1"], f.Keys["b"]

		t.Run("visible entries", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				key  string
				id   string
				want []string
			}{
				{"parent reads its subtree's case", keyA, "42", []string{"a/42", "a1/42"}},
				{"child reads its own part", keyA1, "42", []string{"a1/42"}},
				{"same case number in another tenant", keyB, "42", []string{"b/42"}},
				{"own case", keyB, "77", []string{"b/77"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					l := logOf(t, get(s, tc.key, tc.id, ""))
					compattest.CheckScope(t, stored, tc.want, entryIDs(l.Data), l.Pagination.TotalCount)
				})
			}
		})

		// The 404 for B's case and for a case nobody has must not differ
		// in anything but the time of the answer.
		stamp := regexp.MustCompile(`"timestamp":"[^"]*"`)
		strip := func(r *apitest.Response) string {
			return r.Header.Get("Content-Type") + " " + string(stamp.ReplaceAll(r.Body, []byte(`"timestamp":""`)))
		}
		for _, tc := range []struct {
			name      string
			key       string
			query     string
			theirs    string
			nobodys   string
			viaBearer bool
		}{
			{"sibling's case", keyA, "", "77", "78", false},
			{"sibling's case with an action", keyA, "action=STATUS_CHANGED", "77", "78", false},
			{"sibling's case past the end", keyA, "page=3&page_size=1", "77", "78", false},
			{"parent's case from the child", keyA1, "", "77", "78", false},
			{"by bearer", keyA, "", "77", "78", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var theirs, nobodys *apitest.Response
				if tc.viaBearer {
					theirs = get(s, "", tc.theirs, tc.query, "Authorization", "Bearer "+tc.key)
					nobodys = get(s, "", tc.nobodys, tc.query, "Authorization", "Bearer "+tc.key)
				} else {
					theirs = get(s, tc.key, tc.theirs, tc.query)
					nobodys = get(s, tc.key, tc.nobodys, tc.query)
				}
				errorOf(t, theirs, 404, "NOT_FOUND")
				errorOf(t, nobodys, 404, "NOT_FOUND")
				if d := cmp.Diff(strip(nobodys), strip(theirs)); d != "" {
					t.Errorf("another tenant's case is told apart from a missing one (-missing +theirs):\n%s", d)
				}
			})
		}
		// The child's case 42 entries are its own; the parent's are not.
		if r := get(s, keyA1, "42", "action=CASE_CREATED"); r.Status != 200 {
			t.Errorf("child filtering its existing case: %d %s", r.Status, r.Body)
		} else if l := logOf(t, r); len(l.Data) != 0 {
			t.Errorf("child sees its parent's entries: %s", r.Body)
		}
	})
}
