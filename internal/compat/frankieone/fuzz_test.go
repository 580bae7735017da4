package frankieone_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
)

// fuzzWorld is a server with known tenants and events, and what the test
// knows about them to judge any answer.
type fuzzWorld struct {
	url    string
	keys   []string          // by selector; "" sends no key
	keyOf  []string          // the tenant ref of each key, "root" for the admin
	parent map[string]string // tenant ref → parent ref ("root" under the root)
	ids    map[string]string // tenant id → ref
	refs   map[string]string // tenant ref as stored → ref here
	owner  map[string]string // eventId → tenant ref
	client *http.Client
}

func newFuzzWorld(f *testing.F) *fuzzWorld {
	s := apitest.New(f, "sqlite")
	w := &fuzzWorld{
		url:    s.URL,
		parent: map[string]string{"root": ""},
		ids:    map[string]string{s.Root.ID.String(): "root"},
		refs:   map[string]string{s.Root.Ref: "root"},
		owner:  map[string]string{},
		client: &http.Client{Timeout: 30 * time.Second},
	}
	writer := s.Key(s.Root.ID, "events:write")
	w.keys, w.keyOf = []string{"", s.AdminKey, "ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, []string{"", "root", ""}
	for _, n := range [][2]string{{"cust-c", "root"}, {"cust-c1", "cust-c"}, {"cust-c2", "cust-c"}, {"cust-d", "root"}} {
		parent := uuid.Nil
		for id, ref := range w.ids {
			if ref == n[1] && n[1] != "root" {
				parent = uuid.MustParse(id)
			}
		}
		tn := s.Tenant(n[0], "customer", n[0], parent)
		w.parent[n[0]], w.ids[tn.ID.String()], w.refs[n[0]] = n[1], n[0], n[0]
		w.keys, w.keyOf = append(w.keys, s.Key(tn.ID, "events:read")), append(w.keyOf, n[0])
	}
	actions := []string{"ENTITY_UPDATE", "lookup", "WORKFLOW_COMPLETE"}
	chans := []string{"API", "", "web"}
	for ref := range w.parent {
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
			s.Ingest(writer, e)
			w.owner[u] = ref
		}
	}
	return w
}

// below reports whether tenant a is b or a descendant of b.
func (w *fuzzWorld) below(a, b string) bool {
	for ; a != ""; a = w.parent[a] {
		if a == b {
			return true
		}
	}
	return false
}

// resolve names the tenant a header value selects, as the store finds it:
// by id when the value parses as a uuid (refs never do), else by ref.
func (w *fuzzWorld) resolve(v string) string {
	v = strings.TrimSpace(v)
	if u, err := uuid.Parse(v); err == nil {
		return w.ids[u.String()]
	}
	return w.refs[v]
}

// escapeQuery percent-encodes the bytes that cannot appear in a request
// line, so the fuzzer's query reaches the handler rather than the parser.
func escapeQuery(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c <= ' ' || c == 0x7f || c == '#' {
			b.WriteString("%")
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
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
		req, err := http.NewRequest("GET", w.url+"/v2/audit", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawQuery = escapeQuery(rawQuery)
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
		resp, err := w.client.Do(req)
		if err != nil {
			return // a header value the client refuses to send
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		switch resp.StatusCode {
		case 200:
			w.checkList(t, body, w.keyOf[k], customer, child)
		case 400, 401:
			var e errorAnswer
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&e); err != nil || e.HTTPStatusCode != resp.StatusCode || e.ErrorCode == "" || len(e.Details) == 0 || !ulidPattern.MatchString(e.RequestID) {
				t.Fatalf("%d with a malformed error object (%v): %s", resp.StatusCode, err, body)
			}
		default:
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	})
}

func (w *fuzzWorld) checkList(t *testing.T, body []byte, keyRef, customer, child string) {
	var a listAnswer
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("200 with a malformed body (%v): %s", err, body)
	}
	scope := w.resolve(customer)
	if keyRef == "" || scope == "" || !w.below(scope, keyRef) {
		t.Fatalf("200 for key %q and customer %q: %s", keyRef, customer, body)
	}
	if strings.TrimSpace(child) != "" {
		c := w.resolve(child)
		if c == "" || c == scope || !w.below(c, scope) {
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
		if !known || !w.below(owner, scope) {
			t.Fatalf("event %s of %q in an answer for %q: %s", id, owner, scope, body)
		}
		for _, field := range []string{"requestId", "type", "timestamp", "source", "description", "channel", "eventStatus"} {
			if s, _ := e[field].(string); s == "" {
				t.Fatalf("event %s without %s", id, field)
			}
		}
	}
}
