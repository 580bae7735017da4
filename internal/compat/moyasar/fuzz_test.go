package moyasar_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
)

// fuzzWorld is a server with known tenants and entries, and what the test
// knows about them to judge any answer.
type fuzzWorld struct {
	url    string
	keys   []string          // by selector; "" sends no key
	keyOf  []string          // the tenant ref of each key ("" for none)
	parent map[string]string // tenant ref → parent ref
	orgs   map[string]string // tenant id → ref
	owner  map[string]string // entry id → tenant ref
	client *http.Client
}

func newFuzzWorld(f *testing.F) *fuzzWorld {
	s := apitest.New(f, "sqlite")
	w := &fuzzWorld{
		url:    s.URL,
		parent: map[string]string{"root": ""},
		orgs:   map[string]string{s.Root.ID.String(): "root"},
		owner:  map[string]string{},
		client: &http.Client{
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	writer := s.Key(s.Root.ID, "events:write")
	w.keys = []string{"", s.AdminKey, "ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", s.Key(s.Root.ID, "kyc:read")}
	w.keyOf = []string{"", "root", "", ""}
	ids := map[string]uuid.UUID{"root": s.Root.ID}
	for _, n := range []node{{"acq", "acquirer", "root"}, {"m1", "merchant", "acq"}, {"m2", "merchant", "acq"}, {"acq-b", "acquirer", "root"}, {"mb1", "merchant", "acq-b"}} {
		tn := s.Tenant("Org "+n.ref, n.kind, n.ref, ids[n.parent])
		ids[n.ref], w.parent[n.ref], w.orgs[tn.ID.String()] = tn.ID, n.parent, n.ref
		w.keys, w.keyOf = append(w.keys, s.Key(tn.ID, "audit_logs_read")), append(w.keyOf, n.ref)
	}
	for ref := range w.parent {
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
			w.owner[s.Ingest(writer, e)[0].UUID] = ref
		}
	}
	return w
}

func (w *fuzzWorld) below(a, b string) bool {
	for ; a != ""; a = w.parent[a] {
		if a == b {
			return true
		}
	}
	return false
}

// escape percent-encodes the bytes that cannot appear in a request line,
// so the fuzzer's input reaches the handler rather than the parser.
func escape(s string, extra string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || c == '#' || strings.IndexByte(extra, c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
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
		list := w.do(t, k, "/v1/audit_logs?"+escape(rawQuery, ""))
		if list == nil {
			return
		}
		switch list.status {
		case 200:
			var a listAnswer
			strict(t, list.body, &a)
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
			t.Fatalf("list: status %d: %s", list.status, list.body)
		}

		one := w.do(t, k, "/v1/audit_logs/"+escape(id, "?"))
		if one == nil {
			return
		}
		switch one.status {
		case 200:
			var e entry
			if err := decode(one.body, &e); err == nil {
				w.checkEntry(t, k, e)
				return
			}
			var s struct {
				Subjects []string `json:"subjects"`
			}
			strict(t, one.body, &s)
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
			t.Fatalf("get %q: status %d: %s", id, one.status, one.body)
		}
	})
}

type fuzzResponse struct {
	status int
	body   []byte
}

// do sends one GET with key k, or returns nil when the client will not send
// what the fuzzer made.
func (w *fuzzWorld) do(t *testing.T, k int, path string) *fuzzResponse {
	req, err := http.NewRequest("GET", w.url+path, nil)
	if err != nil {
		return nil
	}
	if w.keys[k] != "" {
		req.Header.Set("Authorization", "Bearer "+w.keys[k])
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &fuzzResponse{resp.StatusCode, body}
}

func (w *fuzzWorld) checkEntry(t *testing.T, k int, e entry) {
	owner, known := w.owner[e.ID]
	if !known || w.keyOf[k] == "" || !w.below(owner, w.keyOf[k]) {
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

func (w *fuzzWorld) checkError(t *testing.T, r *fuzzResponse) {
	var e errorAnswer
	strict(t, r.body, &e)
	if e.Message == "" || (r.status == 422) != (len(e.Errors) > 0) {
		t.Fatalf("%d: %s", r.status, r.body)
	}
}

func decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func strict(t *testing.T, b []byte, v any) {
	if err := decode(b, v); err != nil {
		t.Fatalf("malformed body (%v): %s", err, b)
	}
}
