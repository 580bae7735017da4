package frankieone_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// fuzzWorld is a server with known tenants and events, and what the test
// knows about them to judge any answer.
type fuzzWorld struct {
	*compattest.Fixture
	keys   []string          // by selector; "" sends no key
	keyOf  []string          // the tenant ref of each key, "root" for the admin
	owner  map[string]string // eventId → tenant ref
	client *http.Client
}

func newFuzzWorld(f *testing.F) *fuzzWorld {
	w := &fuzzWorld{Fixture: compattest.NewFixture(f, "sqlite", "events:read"), owner: map[string]string{}, client: compattest.FuzzClient()}
	w.keys, w.keyOf = []string{"", w.AdminKey, "ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, []string{"", "root", ""}
	for _, n := range [][2]string{{"cust-c", ""}, {"cust-c1", "cust-c"}, {"cust-c2", "cust-c"}, {"cust-d", ""}} {
		w.Add(n[0], n[0], "customer", n[1])
		w.keys, w.keyOf = append(w.keys, w.Keys[n[0]]), append(w.keyOf, n[0])
	}
	actions := []string{"ENTITY_UPDATE", "lookup", "WORKFLOW_COMPLETE"}
	chans := []string{"API", "", "web"}
	for ref := range w.Tree {
		for i := range 3 {
			u := uuid.Must(uuid.NewV7()).String()
			e := map[string]any{
				"uuid": u, "action": actions[i], "channel": chans[i], "source": "svc-a", "request_id": "req-1",
				"subject": map[string]any{"type": "INDIVIDUAL", "id": "ent-1"},
				"labels":  map[string]any{"workflow_name": "WF_A", "risk_level": "LOW"},
			}
			if ref != "root" {
				e["tenant"] = ref
			}
			w.Ingest(w.Writer, e)
			w.owner[u] = ref
		}
	}
	return w
}

// resolve names the tenant a header value selects, as the store finds it:
// by id when the value parses as a uuid (refs never do), else by ref.
func (w *fuzzWorld) resolve(v string) string {
	v = strings.TrimSpace(v)
	id, err := uuid.Parse(v)
	for name, tn := range w.Tenants {
		if err == nil && tn.ID == id || err != nil && tn.Ref == v {
			return name
		}
	}
	return ""
}

// FuzzFrankieOne sends arbitrary query strings and header values with each
// kind of key: never a 5xx, never an answer of another shape, and never an
// event outside the tree the headers may name for that key.
func FuzzFrankieOne(f *testing.F) {
	w := newFuzzWorld(f)
	f.Add("limit=5&sort=asc", "cust-c", "", "", uint8(3))
	f.Add("entityId=ent-1&channels=SYSTEM", "cust-c", "cust-c1", "api", uint8(3))
	f.Add("page=0&limit=1000", "cust-d", "cust-c1", "", uint8(1))
	f.Fuzz(func(t *testing.T, rawQuery, customer, child, channel string, keySel uint8) {
		req, err := http.NewRequest("GET", w.URL+"/v2/audit", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawQuery = compattest.Escape(rawQuery, nil)
		k := int(keySel) % len(w.keys)
		if key := w.keys[k]; key != "" {
			if keySel&0x80 != 0 {
				req.Header.Set("Authorization", "Bearer "+key)
			} else {
				req.Header.Set("api_key", key)
			}
		}
		for name, v := range map[string]string{"X-Frankie-CustomerID": customer, "X-Frankie-CustomerChildID": child, "X-Frankie-Channel": channel} {
			if v != "" {
				req.Header.Set(name, v)
			}
		}
		resp := compattest.Fetch(t, w.client, req)
		if resp == nil {
			return // a header value the client refuses to send
		}
		switch resp.Status {
		case 200:
			w.checkList(t, resp.Body, w.keyOf[k], customer, child)
		case 400, 401:
			var e errorAnswer
			if err := compattest.Decode(resp.Body, &e); err != nil || e.HTTPStatusCode != resp.Status || e.ErrorCode == "" || len(e.Details) == 0 || !ulidPattern.MatchString(e.RequestID) {
				t.Fatalf("%d with a malformed error object (%v): %s", resp.Status, err, resp.Body)
			}
		default:
			t.Fatalf("status %d: %s", resp.Status, resp.Body)
		}
	})
}

func (w *fuzzWorld) checkList(t *testing.T, body []byte, keyRef, customer, child string) {
	var a listAnswer
	if err := compattest.Decode(body, &a); err != nil {
		t.Fatalf("200 with a malformed body (%v): %s", err, body)
	}
	scope := w.resolve(customer)
	if keyRef == "" || scope == "" || !w.Tree.Below(scope, keyRef) {
		t.Fatalf("200 for key %q and customer %q: %s", keyRef, customer, body)
	}
	if strings.TrimSpace(child) != "" {
		c := w.resolve(child)
		if c == "" || c == scope || !w.Tree.Below(c, scope) {
			t.Fatalf("200 for customer %q and child %q: %s", customer, child, body)
		}
		scope = c
	}
	m := a.Meta
	if m.Count != len(a.Events) || m.Limit < 1 || m.Limit > 100 || m.Page < 1 || m.Total < int64(m.Count) || len(m.SortFields) != 1 {
		t.Fatalf("meta %+v with %d events", m, len(a.Events))
	}
	for _, e := range a.Events {
		id, _ := e["eventId"].(string)
		owner, known := w.owner[id]
		if !known || !w.Tree.Below(owner, scope) {
			t.Fatalf("event %s of %q in an answer for %q: %s", id, owner, scope, body)
		}
		for _, field := range []string{"requestId", "type", "timestamp", "source", "description", "channel", "eventStatus"} {
			if s, _ := e[field].(string); s == "" {
				t.Fatalf("event %s without %s", id, field)
			}
		}
	}
}
