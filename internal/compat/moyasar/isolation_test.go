package moyasar_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// TestIsolation tries every key against every route and every entry id:
// an acquirer's key sees its own and its merchants' entries, a merchant's
// key its own, and any other id is a 404 identical to an unknown one.
func TestIsolation(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		tree := []node{
			{"acq-a", "acquirer", ""}, {"ma1", "merchant", "acq-a"}, {"ma2", "merchant", "acq-a"},
			{"acq-b", "acquirer", ""}, {"mb1", "merchant", "acq-b"},
		}
		f := newFixture(t, engine, tree)
		below := f.Tree.Below
		owner := map[string]string{} // entry id → tenant ref
		for ref := range f.Tree {
			for i := range 3 {
				e := map[string]any{"action": "create", "targets": []map[string]any{{"type": "Type_" + ref, "id": fmt.Sprint(i)}}}
				if ref != "root" {
					e["tenant"] = ref
				}
				owner[f.Ingest(f.Writer, e)[0].UUID] = ref
			}
		}
		orgRef := map[string]string{}
		for ref, tn := range f.Tenants {
			orgRef[tn.ID.String()] = ref
		}
		for keyRef, key := range f.Keys {
			unknown := f.get(key, "/v1/audit_logs/"+uuid.Must(uuid.NewV7()).String())
			if unknown.Status != 404 {
				t.Fatalf("unknown id: %d %s", unknown.Status, unknown.Body)
			}
			var want []string
			types := []string{}
			for id, o := range owner {
				if below(o, keyRef) {
					want = append(want, id)
					if !slices.Contains(types, "Type_"+o) {
						types = append(types, "Type_"+o)
					}
				}
			}
			// The list, walked page by page.
			var got []string
			for page := 1; ; page++ {
				a := f.list(t, key, fmt.Sprintf("items=4&page=%d", page))
				for _, e := range a.AuditLogs {
					got = append(got, e.ID)
					if e.Organization == nil || orgRef[e.Organization.ID] != owner[e.ID] {
						t.Errorf("key %s: entry %s of %s shows organization %+v", keyRef, e.ID, owner[e.ID], e.Organization)
					}
				}
				if a.Meta.NextPage == nil {
					break
				}
			}
			if diff := cmp.Diff(want, got, sortStrings); diff != "" {
				t.Errorf("key %s lists (-want +got):\n%s", keyRef, diff)
			}
			// Every id, one by one.
			for id, o := range owner {
				r := f.get(key, "/v1/audit_logs/"+id)
				if !below(o, keyRef) {
					if r.Status != 404 || !bytes.Equal(r.Body, unknown.Body) || r.Header.Get("Content-Type") != unknown.Header.Get("Content-Type") {
						t.Errorf("key %s, entry of %s: %d %s, want the unknown-id answer", keyRef, o, r.Status, r.Body)
					}
					continue
				}
				var e entry
				compattest.DecodeStrict(t, r.Body, &e)
				if r.Status != 200 || e.ID != id || e.Organization == nil || orgRef[e.Organization.ID] != o {
					t.Errorf("key %s, entry of %s: %d %s", keyRef, o, r.Status, r.Body)
				}
			}
			// The subjects it may filter on.
			var s struct {
				Subjects []string `json:"subjects"`
			}
			r := f.get(key, "/v1/audit_logs/subjects")
			compattest.DecodeStrict(t, r.Body, &s)
			slices.Sort(types)
			if diff := cmp.Diff(types, s.Subjects); diff != "" {
				t.Errorf("key %s subjects (-want +got):\n%s", keyRef, diff)
			}
		}
	})
}
