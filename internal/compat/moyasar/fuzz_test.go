package moyasar_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// fuzzWorld is a server with known tenants and entries, and what the test
// knows about them to judge any answer.
type fuzzWorld struct {
	*compattest.Fixture
	keys   []string          // by selector; "" sends no key
	keyOf  []string          // the tenant ref of each key ("" for none)
	orgs   map[string]string // tenant id → ref
	owner  map[string]string // entry id → tenant ref
	client *http.Client
}

func newFuzzWorld(f *testing.F) *fuzzWorld {
	w := &fuzzWorld{
		Fixture: compattest.NewFixture(f, "sqlite", "audit_logs_read"),
		orgs:    map[string]string{},
		owner:   map[string]string{},
		client:  compattest.FuzzClient(),
	}
	w.keys = []string{"", w.AdminKey, "ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", w.Key(w.Root.ID, "kyc:read")}
	w.keyOf = []string{"", "root", "", ""}
	for _, n := range []node{{"acq", "acquirer", "root"}, {"m1", "merchant", "acq"}, {"m2", "merchant", "acq"}, {"acq-b", "acquirer", "root"}, {"mb1", "merchant", "acq-b"}} {
		w.Add(n.ref, "Org "+n.ref, n.kind, n.parent)
		w.keys, w.keyOf = append(w.keys, w.Keys[n.ref]), append(w.keyOf, n.ref)
	}
	for ref, tn := range w.Tenants {
		w.orgs[tn.ID.String()] = ref
	}
	for ref := range w.Tree {
		for i := range 3 {
			e := map[string]any{
				"action": []string{"create", "index", "update"}[i], "action_type": []string{"active", "passive", "active"}[i],
				"actor":   map[string]any{"type": []string{"AcquirerUser", "ApiKey", "user"}[i], "id": uuid.NewString(), "email": ref + "@example.com"},
				"targets": []map[string]any{{"type": []string{"Merchant", "Order", "Order::Item"}[i], "id": uuid.NewString()}},
				"changes": []map[string]any{{"field": "status", "old": "a", "new": "b"}},
			}
			if ref != "root" {
				e["tenant"] = ref
			}
			w.owner[w.Ingest(w.Writer, e)[0].UUID] = ref
		}
	}
	return w
}

// FuzzMoyasar sends arbitrary query strings and entry ids with each kind
// of key: never a 5xx, never an answer of another shape, never an entry
// outside the key's tree, and every entry's organization is its tenant.
func FuzzMoyasar(f *testing.F) {
	w := newFuzzWorld(f)
	f.Add("items=2&page=2&sort[field]=performer_type&sort[dir]=asc", "subjects", uint8(4))
	f.Add("performer_email=EXAMPLE&subject_type=Order&organization_type=Merchant", "nope", uint8(5))
	f.Add("created_at[gte]=2025-01-01&created_at[lte]=2999-01-01T00:00:00Z", "../v1/audit_logs", uint8(1))
	f.Fuzz(func(t *testing.T, rawQuery, id string, keySel uint8) {
		k := int(keySel) % len(w.keys)
		list := w.do(t, k, "/v1/audit_logs?"+compattest.Escape(rawQuery, nil))
		if list == nil {
			return
		}
		switch list.Status {
		case 200:
			var a listAnswer
			compattest.DecodeStrict(t, list.Body, &a)
			m := a.Meta
			if m.CurrentPage < 1 || m.NextPage != nil && *m.NextPage != m.CurrentPage+1 || m.PrevPage != nil && *m.PrevPage != m.CurrentPage-1 ||
				len(a.AuditLogs) > 100 || len(a.AuditLogs) == 0 && (m.NextPage != nil || m.PrevPage != nil) {
				t.Fatalf("meta %+v with %d entries", m, len(a.AuditLogs))
			}
			for _, e := range a.AuditLogs {
				w.checkEntry(t, k, e)
			}
		case 401, 403, 422:
			w.checkError(t, list)
		default:
			t.Fatalf("list: status %d: %s", list.Status, list.Body)
		}

		one := w.do(t, k, "/v1/audit_logs/"+compattest.Escape(id, func(c byte) bool { return c == '?' }))
		if one == nil {
			return
		}
		switch one.Status {
		case 200:
			var e entry
			if err := compattest.Decode(one.Body, &e); err == nil {
				w.checkEntry(t, k, e)
				return
			}
			var s struct {
				Subjects []string `json:"subjects"`
			}
			compattest.DecodeStrict(t, one.Body, &s)
			for _, typ := range s.Subjects {
				if !slices.Contains([]string{"Merchant", "Order", "Order::Item"}, typ) {
					t.Fatalf("subject %q", typ)
				}
			}
		case 401, 403, 404:
			w.checkError(t, one)
		case 301, 307, 308, 400:
			// ServeMux cleaning the path, or net/http refusing it: no
			// handler of ours ran.
		default:
			t.Fatalf("get %q: status %d: %s", id, one.Status, one.Body)
		}
	})
}

// do sends one GET with key k, or returns nil when the client will not send
// what the fuzzer made.
func (w *fuzzWorld) do(t *testing.T, k int, path string) *apitest.Response {
	req, err := http.NewRequest("GET", w.URL+path, nil)
	if err != nil {
		return nil
	}
	if w.keys[k] != "" {
		req.Header.Set("Authorization", "Bearer "+w.keys[k])
	}
	return compattest.Fetch(t, w.client, req)
}

func (w *fuzzWorld) checkEntry(t *testing.T, k int, e entry) {
	owner, known := w.owner[e.ID]
	if !known || w.keyOf[k] == "" || !w.Tree.Below(owner, w.keyOf[k]) {
		t.Fatalf("entry %s of %q for key of %q", e.ID, owner, w.keyOf[k])
	}
	if e.Organization == nil || w.orgs[e.Organization.ID] != owner {
		t.Fatalf("entry %s of %q shows organization %+v", e.ID, owner, e.Organization)
	}
	if e.PerformerType != nil && !slices.Contains([]string{"AcquirerUser", "MerchantUser", "StaffUser", "ApiKey", "AcquirerApiKey"}, *e.PerformerType) ||
		e.OrganizationType != nil && *e.OrganizationType != "Acquirer" && *e.OrganizationType != "Merchant" ||
		e.ActionType != "active" && e.ActionType != "passive" || len(e.CreatedAt) != len("2025-01-15T14:30:00Z") || e.Description == "" {
		t.Fatalf("entry %+v", e)
	}
}

func (w *fuzzWorld) checkError(t *testing.T, r *apitest.Response) {
	var e errorAnswer
	compattest.DecodeStrict(t, r.Body, &e)
	if e.Message == "" || (r.Status == 422) != (len(e.Errors) > 0) {
		t.Fatalf("%d: %s", r.Status, r.Body)
	}
}
