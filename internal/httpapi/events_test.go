package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/event"
)

type errorBody struct {
	Error struct {
		Status  int    `json:"status"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func TestIngestBadInput(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine, func(c *app.Config) { c.MaxBody = 4096; c.MaxBatch = 3; c.MaxEventBytes = 2048 })
		other := s.Tenant("other root", "", "other", uuid.Nil)
		// A sibling tree the admin's child key may not write.
		child := s.Tenant("child", "merchant", "child", uuid.Nil)
		childKey := s.Key(child.ID, "events:write")
		big := `{"action":"x","details":"` + strings.Repeat("a", 5000) + `"}`
		tests := []struct {
			name   string
			key    string
			body   string
			status int
			field  string
		}{
			{"invalid JSON", s.AdminKey, `{"action":`, 400, "body"},
			{"not an object", s.AdminKey, `[1,2]`, 400, "body"},
			{"empty body", s.AdminKey, ``, 400, "body"},
			{"trailing data", s.AdminKey, `{"action":"x"} {"action":"y"}`, 400, ""},
			{"unknown field", s.AdminKey, `{"action":"x","colour":"red"}`, 400, "colour"},
			{"unknown nested field", s.AdminKey, `{"action":"x","actor":{"type":"u","role":"r"}}`, 400, "role"},
			{"wrong type", s.AdminKey, `{"action":42}`, 400, "action"},
			{"wrong nested type", s.AdminKey, `{"action":"x","actor":{"id":7}}`, 400, "actor.id"},
			{"labels not strings", s.AdminKey, `{"action":"x","labels":{"a":1}}`, 400, "labels"},
			{"empty action", s.AdminKey, `{"action":""}`, 400, "action"},
			{"blank action", s.AdminKey, `{"action":"   "}`, 400, "action"},
			{"missing action", s.AdminKey, `{"category":"Cpr"}`, 400, "action"},
			{"bad timestamp", s.AdminKey, `{"action":"x","occurred_at":"2024-13-45T99:00:00Z"}`, 400, "occurred_at"},
			{"date only", s.AdminKey, `{"action":"x","occurred_at":"2024-06-12"}`, 400, "occurred_at"},
			{"far future", s.AdminKey, `{"action":"x","occurred_at":"2999-01-01T00:00:00Z"}`, 400, "occurred_at"},
			{"bad action_type", s.AdminKey, `{"action":"x","action_type":"write"}`, 400, "action_type"},
			{"bad status", s.AdminKey, `{"action":"x","status":"ok"}`, 400, "status"},
			{"level zero", s.AdminKey, `{"action":"x","level":0}`, 400, "level"},
			{"level four", s.AdminKey, `{"action":"x","level":4}`, 400, "level"},
			{"bad uuid", s.AdminKey, `{"action":"x","uuid":"nope"}`, 400, "uuid"},
			{"id sent", s.AdminKey, `{"action":"x","id":5}`, 400, "id"},
			{"seq sent", s.AdminKey, `{"action":"x","seq":0}`, 400, "seq"},
			{"target without id", s.AdminKey, `{"action":"x","targets":[{"type":"kyc_case"}]}`, 400, "targets[0]"},
			{"subject without id", s.AdminKey, `{"action":"x","subject":{"type":"person","id":""}}`, 400, "subject"},
			{"metadata not object", s.AdminKey, `{"action":"x","metadata":[1]}`, 400, "metadata"},
			{"metadata duplicate key", s.AdminKey, `{"action":"x","metadata":{"a":1,"a":2}}`, 400, "metadata.a"},
			{"keys differing by case", s.AdminKey, `{"action":"a","ACTION":"b"}`, 400, "ACTION"},
			{"duplicate key", s.AdminKey, `{"action":"a","action":"b"}`, 400, "action"},
			{"nested keys differing by case", s.AdminKey, `{"action":"a","actor":{"id":"1","Id":"2"}}`, 400, "actor.Id"},
			{"batch key twice", s.AdminKey, `{"events":[{"action":"a"}],"events":[{"action":"b"}]}`, 400, "events"},
			{"batch item keys differing by case", s.AdminKey, `{"events":[{"action":"a"},{"action":"b","Action":"c"}]}`, 400, "events[1].Action"},
			{"lone surrogate", s.AdminKey, `{"action":"x\ud800"}`, 400, "action"},
			{"invalid UTF-8", s.AdminKey, "{\"action\":\"x\",\"summary\":\"\xff\"}", 400, "summary"},
			{"NUL in metadata", s.AdminKey, `{"action":"x","metadata":{"note":"a\u0000b"}}`, 400, "metadata.note"},
			{"NUL in a change", s.AdminKey, `{"action":"x","changes":[{"field":"f","old":null,"new":"\u0000"}]}`, 400, "changes[0].new"},
			{"lone surrogate in a label", s.AdminKey, `{"action":"x","labels":{"k":"\udc00"}}`, 400, "labels.k"},
			{"lone surrogate in a batch", s.AdminKey, `{"events":[{"action":"a"},{"action":"b","targets":[{"type":"t","id":"\ud83d"}]}]}`, 400, "events[1].targets[0].id"},
			{"year 1", s.AdminKey, `{"action":"x","occurred_at":"0001-01-01T00:00:00Z"}`, 400, "occurred_at"},
			{"Unix epoch", s.AdminKey, `{"action":"x","occurred_at":"1970-01-01T00:00:00Z"}`, 400, "occurred_at"},
			{"batch year 1", s.AdminKey, `{"events":[{"action":"a"},{"action":"b","occurred_at":"0001-01-01T00:00:00Z"}]}`, 400, "events[1].occurred_at"},
			{"bad label key", s.AdminKey, `{"action":"x","labels":{"a b":"c"}}`, 400, "labels"},
			{"oversize body", s.AdminKey, big, 413, "body"},
			{"oversize event", s.AdminKey, `{"action":"x","summary":"` + strings.Repeat("s", 1000) + `","metadata":{"m":"` + strings.Repeat("m", 1000) + `"}}`, 413, ""},
			{"oversize event by its changes", s.AdminKey, `{"action":"x","changes":[{"field":"f","old":"` + strings.Repeat("o", 1100) + `","new":"` + strings.Repeat("n", 1100) + `"}]}`, 413, ""},
			{"oversize event in a batch", s.AdminKey, `{"events":[{"action":"a"},{"action":"b","details":"` + strings.Repeat("d", 2100) + `"}]}`, 413, "events[1]"},
			{"tenant not writable", childKey, `{"action":"x","tenant":"other"}`, 403, "tenant"},
			{"parent not writable", childKey, `{"action":"x","tenant":"` + s.Root.ID.String() + `"}`, 403, "tenant"},
			{"unknown tenant", s.AdminKey, `{"action":"x","tenant":"nobody"}`, 403, "tenant"},
			{"batch not array", s.AdminKey, `{"events":{}}`, 400, "events"},
			{"empty batch", s.AdminKey, `{"events":[]}`, 400, "events"},
			{"batch too large", s.AdminKey, `{"events":[{"action":"a"},{"action":"b"},{"action":"c"},{"action":"d"}]}`, 400, "events"},
			{"batch with extra field", s.AdminKey, `{"events":[{"action":"a"}],"tenant":"x"}`, 400, "tenant"},
			{"batch one bad", s.AdminKey, `{"events":[{"action":"a"},{"action":""}]}`, 400, "events[1].action"},
			{"batch one bad type", s.AdminKey, `{"events":[{"action":"a"},{"action":"b","level":"2"}]}`, 400, "events[1].level"},
			{"batch one foreign tenant", childKey, `{"events":[{"action":"a"},{"action":"b","tenant":"other"}]}`, 403, "events[1].tenant"},
			{"no key", "", `{"action":"x"}`, 401, ""},
			{"read-only key", s.Key(s.Root.ID, "events:read"), `{"action":"x"}`, 403, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := s.Do("POST", "/v1/events", tc.key, tc.body)
				if r.Status != tc.status {
					t.Fatalf("status = %d, want %d; body %s", r.Status, tc.status, r.Body)
				}
				var eb errorBody
				r.JSON(t, &eb)
				if eb.Error.Status != tc.status || eb.Error.Message == "" || eb.Error.Code == "" {
					t.Errorf("error body %s lacks status/code/message", r.Body)
				}
				if eb.Error.Field != tc.field {
					t.Errorf("field = %q, want %q (body %s)", eb.Error.Field, tc.field, r.Body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("content type %q", ct)
				}
			})
		}
		if n := s.Count(); n != 0 {
			t.Errorf("bad requests stored %d events", n)
		}
		_ = other
	})
}

func TestIngestAndRead(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		in := map[string]any{
			"idempotency_key": "req-1",
			"occurred_at":     "2025-03-10T10:15:00.123456789+01:00",
			"category":        "Cpr", "action": "lookup", "action_type": "passive", "status": "info", "level": 2,
			"summary": "CPR lookup", "details": "<b>",
			"actor":        map[string]any{"type": "user", "id": "u-1", "name": "Anna Jensen", "email": "anna@example.dk"},
			"targets":      []any{map[string]any{"type": "kyc_answer", "id": "7"}, map[string]any{"type": "kyc_case", "id": "42", "name": "Case 42"}},
			"subject":      map[string]any{"type": "person", "id": "p-1"},
			"external_ref": "customer-ref-001", "context": "kyc-onboarding", "request_id": "r-1", "session_id": "s-1",
			"channel": "API", "source": "portal",
			"changes":  []any{map[string]any{"field": "status", "old": nil, "new": "REVIEWED"}},
			"reason":   "because",
			"labels":   map[string]any{"workflow_name": "kyc"},
			"metadata": map[string]any{"z": 1, "a": []any{true, nil}},
			"payload":  map[string]any{"cpr": "0101701234"},
		}
		r := s.Do("POST", "/v1/events", s.AdminKey, in)
		if r.Status != http.StatusCreated {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var got map[string]any
		r.JSON(t, &got)
		for _, f := range []string{"id", "uuid", "seq", "recorded_at", "tenant", "payload_digest"} {
			if _, ok := got[f]; !ok {
				t.Errorf("response lacks %s: %s", f, r.Body)
			}
		}
		if _, ok := got["payload"]; ok {
			t.Errorf("response returns the sealed payload: %s", r.Body)
		}
		if got["occurred_at"] != "2025-03-10T09:15:00.123456Z" {
			t.Errorf("occurred_at = %v, want UTC to the microsecond", got["occurred_at"])
		}
		if string(mustJSON(got["metadata"])) != `{"a":[true,null],"z":1}` {
			t.Errorf("metadata = %s", mustJSON(got["metadata"]))
		}
		id := fmt.Sprint(got["id"])
		for _, ref := range []string{id, got["uuid"].(string)} {
			rr := s.Do("GET", "/v1/events/"+ref, s.AdminKey, nil)
			var back map[string]any
			rr.JSON(t, &back)
			if rr.Status != 200 || !cmp.Equal(got, back) {
				t.Errorf("GET %s = %d, differs from the ingest answer:\n%s", ref, rr.Status, cmp.Diff(got, back))
			}
		}
		// A retry with the same idempotency key returns the original.
		in["action"] = "changed"
		rr := s.Do("POST", "/v1/events", s.AdminKey, in)
		var again map[string]any
		rr.JSON(t, &again)
		if rr.Status != http.StatusCreated || again["id"] != got["id"] || again["action"] != "lookup" || rr.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("retry = %d %v, want the original event", rr.Status, again)
		}
		// A batch answers in the order sent.
		evs := s.Ingest(s.AdminKey, map[string]any{"action": "a"}, map[string]any{"action": "b"}, map[string]any{"action": "c"})
		if evs[0].Action != "a" || evs[2].Action != "c" || *evs[0].Seq != 1 || *evs[2].Seq != 3 {
			t.Errorf("batch answer out of order: %+v", evs)
		}
		if n := s.Count(); n != 4 {
			t.Errorf("stored %d events, want 4", n)
		}
		for _, bad := range []string{"0", "-1", "abc", "1e3", uuid.NewString(), "99999"} {
			if r := s.Do("GET", "/v1/events/"+bad, s.AdminKey, nil); r.Status != 404 {
				t.Errorf("GET /v1/events/%s = %d, want 404", bad, r.Status)
			}
		}
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestTenantIsolation(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		a := s.Tenant("a", "merchant", "tenant-a", uuid.Nil)
		b := s.Tenant("b", "merchant", "tenant-b", uuid.Nil)
		aChild := s.Tenant("a child", "merchant", "", a.ID)
		keyA := s.Key(a.ID, "events:read", "events:write")
		keyB := s.Key(b.ID, "events:read", "events:write")
		eb := s.Ingest(keyB, map[string]any{"action": "secret"})[0]
		ea := s.Ingest(keyA, map[string]any{"action": "mine"}, map[string]any{"action": "for my child", "tenant": aChild.ID.String()})

		for _, ref := range []string{fmt.Sprint(eb.ID), eb.UUID} {
			r := s.Do("GET", "/v1/events/"+ref, keyA, nil)
			missing := s.Do("GET", "/v1/events/999999", keyA, nil)
			if r.Status != 404 || string(r.Body) != string(missing.Body) {
				t.Errorf("A reading B's event %s: %d %s; want the same 404 as a missing one (%s)", ref, r.Status, r.Body, missing.Body)
			}
		}
		for _, target := range []string{b.ID.String(), "tenant-b"} {
			r := s.Do("POST", "/v1/events", keyA, map[string]any{"action": "intrude", "tenant": target})
			if r.Status != 403 {
				t.Errorf("A writing to B (%s): %d %s, want 403", target, r.Status, r.Body)
			}
		}
		// A reads its own and its child's events, never B's.
		var list struct{ Events []event.JSON }
		s.Do("GET", "/v1/events", keyA, nil).JSON(t, &list)
		if len(list.Events) != 2 || list.Events[0].ID != ea[1].ID || list.Events[1].ID != ea[0].ID {
			t.Errorf("A lists %+v, want its two events newest first", list.Events)
		}
		if ea[1].Tenant != aChild.ID.String() {
			t.Errorf("event for the child went to %s", ea[1].Tenant)
		}
		// The child's key cannot read its parent's events.
		childKey := s.Key(aChild.ID, "events:read")
		if r := s.Do("GET", fmt.Sprintf("/v1/events/%d", ea[0].ID), childKey, nil); r.Status != 404 {
			t.Errorf("child reading parent's event: %d", r.Status)
		}
		if n := s.Count(); n != 3 {
			t.Errorf("stored %d events, want 3", n)
		}
	})
}

// The default bound counts the payload and metadata with the rest: each is
// within its own limit, together they are over 256 KiB.
func TestIngestMaxEventBytesDefault(t *testing.T) {
	s := apitest.New(t, "sqlite")
	body := `{"action":"x","metadata":{"m":"` + strings.Repeat("m", 60<<10) + `"},"payload":{"p":"` + strings.Repeat("p", 200<<10) + `"}}`
	r := s.Do("POST", "/v1/events", s.AdminKey, body)
	if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(string(r.Body), "over the limit of 262144") {
		t.Errorf("status %d, body %.300s; want 413 naming the limit", r.Status, r.Body)
	}
	small := `{"action":"x","metadata":{"m":"` + strings.Repeat("m", 60<<10) + `"},"payload":{"p":"` + strings.Repeat("p", 150<<10) + `"}}`
	if r := s.Do("POST", "/v1/events", s.AdminKey, small); r.Status != http.StatusCreated {
		t.Errorf("an event under the bound: status %d, body %.300s", r.Status, r.Body)
	}
	if n := s.Count(); n != 1 {
		t.Errorf("stored %d events, want 1", n)
	}
}
