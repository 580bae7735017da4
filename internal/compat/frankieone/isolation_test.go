package frankieone_test

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// TestIsolation tries every key with every customer and child header, by id
// and by ref: a key reads exactly the subtree it names when that lies in
// its own tree, and any other name is answered exactly like a name that
// does not exist.
func TestIsolation(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		tree := [][2]string{
			{"cust-c", ""}, {"cust-c1", "cust-c"}, {"cust-c2", "cust-c"}, {"cust-c2a", "cust-c2"},
			{"cust-d", ""}, {"cust-d1", "cust-d"},
		}
		f := newFixture(t, engine, tree)
		// below reports whether a is b or one of its descendants; every
		// tenant is below the root.
		below := f.Tree.Below
		owner := map[string]string{} // eventId → tenant ref
		for _, n := range tree {
			for i := range 2 {
				u := uuid.Must(uuid.NewV7()).String()
				f.Ingest(f.Writer, map[string]any{"uuid": u, "tenant": n[0], "action": "ENTITY_UPDATE", "summary": fmt.Sprint(n[0], i)})
				owner[u] = n[0]
			}
		}
		rootEvent := uuid.Must(uuid.NewV7()).String()
		f.Ingest(f.Writer, map[string]any{"uuid": rootEvent, "action": "CUSTOMER_SETUP"})

		names := []string{"nobody", f.Root.ID.String(), uuid.Must(uuid.NewV7()).String()}
		for _, n := range tree {
			names = append(names, n[0], f.Tenants[n[0]].ID.String())
		}
		refOf := func(name string) string {
			for ref, tn := range f.Tenants {
				if name == ref || name == tn.ID.String() {
					return ref
				}
			}
			return ""
		}
		// The answers for names that exist nowhere, per key: every refusal
		// must equal one of them byte for byte (but for the requestId).
		refusal := func(key, customer, child string) []byte {
			h := []string{}
			if child != "" {
				h = append(h, "X-Frankie-CustomerChildID", child)
			}
			r := f.get(key, customer, "limit=100", h...)
			if r.Status != 401 {
				t.Fatalf("unknown name: %d %s", r.Status, r.Body)
			}
			return normalise(t, r.Body)
		}
		checked := 0
		for keyRef, key := range f.Keys {
			noCustomer := refusal(key, "nobody", "")
			for _, customer := range names {
				c := refOf(customer)
				customerOK := c != "" && below(c, keyRef)
				var noChild []byte
				if customerOK {
					noChild = refusal(key, customer, "nobody")
				}
				for _, child := range append([]string{""}, names...) {
					ch := refOf(child)
					ok := customerOK && (child == "" || ch != "" && ch != c && ch != "root" && below(ch, c))
					scope := c
					if child != "" {
						scope = ch
					}
					h := []string{}
					if child != "" {
						h = append(h, "X-Frankie-CustomerChildID", child)
					}
					r := f.get(key, customer, "limit=100", h...)
					checked++
					switch {
					case !ok && !customerOK:
						if r.Status != 401 || !bytes.Equal(normalise(t, r.Body), noCustomer) {
							t.Errorf("key %s, customer %s: %d %s, want the unknown-customer answer %s", keyRef, customer, r.Status, r.Body, noCustomer)
						}
					case !ok:
						if r.Status != 401 || !bytes.Equal(normalise(t, r.Body), noChild) {
							t.Errorf("key %s, customer %s, child %s: %d %s, want the unknown-child answer %s", keyRef, customer, child, r.Status, r.Body, noChild)
						}
					default:
						if r.Status != 200 {
							t.Errorf("key %s, customer %s, child %s: %d %s", keyRef, customer, child, r.Status, r.Body)
							continue
						}
						var a listAnswer
						compattest.DecodeStrict(t, r.Body, &a)
						want := []string{}
						for u, o := range owner {
							if below(o, scope) {
								want = append(want, u)
							}
						}
						if scope == "root" {
							want = append(want, rootEvent)
						}
						got := eventIDs(a)
						sort.Strings(want)
						sort.Strings(got)
						if diff := cmp.Diff(want, got); diff != "" {
							t.Errorf("key %s, customer %s, child %s (-want +got):\n%s", keyRef, customer, child, diff)
						}
						if a.Meta.Total != int64(len(want)) {
							t.Errorf("key %s, customer %s, child %s: total %d, want %d", keyRef, customer, child, a.Meta.Total, len(want))
						}
					}
				}
			}
		}
		if checked < 500 || !slices.Contains(names, "nobody") {
			t.Fatalf("only %d combinations checked", checked)
		}
	})
}
