package auditply_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

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

		start := time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)
		compattest.IngestN(s, writer, 45, func(i int) map[string]any {
			return map[string]any{
				"occurred_at": start.Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
				"action":      "ANSWER_SAVED",
				"actor":       map[string]any{"type": "user", "name": "Anna Jensen"},
				"targets":     onCase("42", "kyc_answer", strconv.Itoa(1000+i)),
				"changes":     []any{map[string]any{"field": "value", "old": nil, "new": "NO"}},
			}
		})
		var seedEvents []map[string]any
		compattest.ReadJSON(t, "testdata/seed_events.json", &seedEvents)
		stored := s.Ingest(writer, seedEvents...)

		for _, query := range []string{"", "page=1&page_size=25"} {
			r := get(s, reader, "42", query)
			l := logOf(t, r) // also checks every timestamp's format
			if len(l.Data) != 25 {
				t.Fatalf("%q: %d entries, want a full page of 25", query, len(l.Data))
			}
			var want map[string]any
			compattest.ReadJSON(t, "testdata/seed_response.json", &want)
			got := compattest.DecodeAny(t, r.Body)
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
		pos := compattest.Positions(stored)
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
				compattest.Golden(t, engine, tc.name, normalise(t, r.Body, pos))
			})
		}
	})
}

var metaRE = regexp.MustCompile(`"meta":\{"api_version":"v1","timestamp":"([^"]*)"\}`)

// normalise replaces assigned ids by positions and meta.timestamp by a
// placeholder (after checking its format), and indents the result without
// reordering anything.
func normalise(t *testing.T, body []byte, pos map[string]string) []byte {
	t.Helper()
	b := compattest.RenumberIDs(t, body, pos)
	if !metaRE.Match(b) {
		t.Errorf("no meta with api_version v1 at the expected place: %s", body)
	}
	b = metaRE.ReplaceAllFunc(b, func(m []byte) []byte {
		if ts := string(metaRE.FindSubmatch(m)[1]); !timestampRE.MatchString(ts) {
			t.Errorf("meta.timestamp %q", ts)
		}
		return []byte(`"meta":{"api_version":"v1","timestamp":"<now>"}`)
	})
	return compattest.Indent(t, b)
}
