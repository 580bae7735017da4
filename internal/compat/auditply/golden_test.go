package auditply_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current answers")

// TestSeedExample ingests the two entries of the seed page's example for
// case 42 and checks the answer against the example itself. The example
// shows two entries of a first page that claims 47 at 25 a page, so 45
// older entries are ingested too (the pagination then matches exactly) and
// the answer's data is cut to the example's two before comparing.
// meta.timestamp is "now": its format is checked, then it is copied over.
func TestSeedExample(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		tn := s.Tenant("Bank A", "customer", "bank-a", uuid.Nil)
		writer, reader := s.Key(tn.ID, "events:write"), s.Key(tn.ID, "kyc:read")

		fillers := make([]map[string]any, 45)
		start := time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)
		for i := range fillers {
			fillers[i] = map[string]any{
				"occurred_at": start.Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
				"action":      "ANSWER_SAVED",
				"actor":       map[string]any{"type": "user", "name": "Anna Jensen"},
				"targets":     onCase("42", "kyc_answer", strconv.Itoa(1000+i)),
				"changes":     []any{map[string]any{"field": "value", "old": nil, "new": "NO"}},
			}
		}
		s.Ingest(writer, fillers...)
		var seedEvents []map[string]any
		readJSON(t, "testdata/seed_events.json", &seedEvents)
		stored := s.Ingest(writer, seedEvents...)

		for _, query := range []string{"", "page=1&page_size=25"} {
			r := get(s, reader, "42", query)
			l := logOf(t, r) // also checks every timestamp's format
			if len(l.Data) != 25 {
				t.Fatalf("%q: %d entries, want a full page of 25", query, len(l.Data))
			}
			var want map[string]any
			readJSON(t, "testdata/seed_response.json", &want)
			got := decodeAny(t, r.Body)
			wantData := want["data"].([]any)
			// Ids are assigned by auditkeep; the example's 501 and 495 are
			// the two seed events, newest first.
			wantData[0].(map[string]any)["id"] = json.Number(strconv.FormatInt(stored[0].ID, 10))
			wantData[1].(map[string]any)["id"] = json.Number(strconv.FormatInt(stored[1].ID, 10))
			want["meta"].(map[string]any)["timestamp"] = got["meta"].(map[string]any)["timestamp"]
			got["data"] = got["data"].([]any)[:len(wantData)]
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%q: answer differs from the seed example (-seed +got):\n%s", query, d)
			}
		}
	})
}

// TestGolden pins the exact bytes of answers, field order included, for a
// fixed data set. Ids become their event's position in the data set (from
// 1) and meta.timestamp a placeholder, so both engines share one file. Run
// with -update to rewrite the files after a deliberate change.
func TestGolden(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		tn := s.Tenant("Bank B", "customer", "bank-b", uuid.Nil)
		writer, reader := s.Key(tn.ID, "events:write"), s.Key(tn.ID, "kyc:read")
		stored := s.Ingest(writer,
			map[string]any{"occurred_at": "2025-01-06T08:00:00Z", "action": "CASE_CREATED", "actor": map[string]any{"type": "user", "id": "user-9", "name": "Anna Jensen", "email": "anna@example.dk"}, "targets": onCase("42", "", "")},
			map[string]any{"occurred_at": "2025-01-06T08:05:00.123456Z", "action": "ANSWER_SAVED", "actor": map[string]any{"type": "user", "email": "anna@example.dk"}, "targets": onCase("42", "kyc_answer", "7"), "changes": []any{map[string]any{"field": "value", "old": nil, "new": "YES"}}},
			map[string]any{"occurred_at": "2025-01-07T10:00:00.9999Z", "action": "SANCTIONS_SEARCH", "actor": map[string]any{"type": "system", "id": "screening-worker"}, "targets": onCase("42", "sanctions_search", "s-1"), "changes": []any{map[string]any{"field": "hits", "old": 0, "new": []any{"OFAC", 3}}}},
			map[string]any{"occurred_at": "2025-01-08T10:00:00+01:00", "action": "STATUS_CHANGED", "actor": map[string]any{"type": "user", "name": "Martin Hansen"}, "targets": onCase("42", "", ""), "changes": []any{map[string]any{"field": "status", "old": "IN_PROGRESS", "new": "PENDING_REVIEW"}, map[string]any{"field": "assignee", "old": nil, "new": "martin"}}, "reason": "Alle svar er udfyldt"},
			map[string]any{"occurred_at": "2025-01-09T00:00:00Z", "action": "CASE_EXPORTED", "targets": onCase("42", "", "")},
			map[string]any{"occurred_at": "2025-01-09T00:00:01Z", "action": "STATUS_CHANGED", "actor": map[string]any{"name": "Martin Hansen"}, "targets": onCase("43", "", "")},
		)
		pos := map[string]string{}
		for i, e := range stored {
			pos[strconv.FormatInt(e.ID, 10)] = strconv.Itoa(i + 1)
		}
		tests := []struct {
			name   string
			key    string
			path   string
			status int
		}{
			{"all", reader, casePath("42"), 200},
			{"action", reader, casePath("42") + "?action=STATUS_CHANGED", 200},
			{"second_page", reader, casePath("42") + "?page=2&page_size=2", 200},
			{"past_end", reader, casePath("42") + "?page=5&page_size=2", 200},
			{"action_without_entries", reader, casePath("42") + "?action=NOPE", 200},
			{"unknown_case", reader, casePath("44"), 404},
			{"bad_id", reader, casePath("forty-two"), 400},
			{"bad_page_size", reader, casePath("42") + "?page_size=101", 400},
			{"no_key", "", casePath("42"), 401},
			{"no_scope", s.Key(tn.ID, "events:write"), casePath("42"), 403},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var headers []string
				if tc.key != "" {
					headers = []string{"X-API-Key", tc.key}
				}
				r := s.Do("GET", tc.path, "", nil, headers...)
				if r.Status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
				}
				got := normalise(t, r.Body, pos)
				file := filepath.Join("testdata", "golden", tc.name+".json")
				if *update && engine == "sqlite" {
					if err := os.WriteFile(file, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if d := cmp.Diff(string(want), string(got)); d != "" {
					t.Errorf("answer differs from %s (-want +got):\n%s", file, d)
				}
			})
		}
	})
}

var (
	idRE   = regexp.MustCompile(`"id":(\d+)`)
	metaRE = regexp.MustCompile(`"meta":\{"api_version":"v1","timestamp":"([^"]*)"\}`)
)

// normalise replaces assigned ids by positions and meta.timestamp by a
// placeholder (after checking its format), and indents the result without
// reordering anything.
func normalise(t *testing.T, body []byte, pos map[string]string) []byte {
	t.Helper()
	b := idRE.ReplaceAllFunc(body, func(m []byte) []byte {
		id := string(idRE.FindSubmatch(m)[1])
		p, ok := pos[id]
		if !ok {
			t.Errorf("id %s is not one of the data set's", id)
		}
		return []byte(`"id":` + p)
	})
	if !metaRE.Match(b) {
		t.Errorf("no meta with api_version v1 at the expected place: %s", body)
	}
	b = metaRE.ReplaceAllFunc(b, func(m []byte) []byte {
		if ts := string(metaRE.FindSubmatch(m)[1]); !timestampRE.MatchString(ts) {
			t.Errorf("meta.timestamp %q", ts)
		}
		return []byte(`"meta":{"api_version":"v1","timestamp":"<now>"}`)
	})
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("indent %s: %v", b, err)
	}
	return out.Bytes()
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// decodeAny decodes a body keeping numbers as written, so an integer and a
// string never compare equal.
func decodeAny(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}
