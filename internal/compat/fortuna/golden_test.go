package fortuna_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// TestSeedExample ingests the event behind the seed page's example and
// checks the answer against the example itself. The example lists one item
// of a page that claims 142 records at 50 a page, so 141 older records are
// ingested too (the totals then match exactly) and the answer's items are
// cut to the example's one before comparing.
func TestSeedExample(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		casino := s.Tenant("Casino A", "operator", "casino-a", uuid.Nil)
		writer, reader := s.Key(casino.ID, "events:write"), s.Key(casino.ID, "events:read")

		start := time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
		ops := [][2]string{{"Identity", "start"}, {"Identity", "result"}, {"Cpr", "lookup"}, {"Pep", "check"}, {"Rofus", "gambler_check"}, {"Safe", "session"}}
		compattest.IngestN(s, writer, 141, func(i int) map[string]any {
			op := ops[i%len(ops)]
			return map[string]any{
				"occurred_at":  start.Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
				"category":     op[0],
				"action":       op[1],
				"external_ref": fmt.Sprintf("customer-ref-%03d", i%20),
				"summary":      "IsMinor=False",
			}
		})
		var seedEvent map[string]any
		compattest.ReadJSON(t, "testdata/seed_event.json", &seedEvent)
		stored := s.Ingest(writer, seedEvent)[0]

		var want map[string]any
		compattest.ReadJSON(t, "testdata/seed_response.json", &want)
		wantItems := want["items"].([]any)
		// The id is assigned by auditkeep.
		wantItems[0].(map[string]any)["id"] = json.Number(strconv.FormatInt(stored.ID, 10))

		for _, query := range []string{"", "page=1&pageSize=50"} {
			r := get(s, reader, query)
			p := page(t, r) // also checks performedAt's format on every item
			if len(p.Items) != 50 {
				t.Fatalf("%q: %d items, want a full page of 50", query, len(p.Items))
			}
			got := compattest.DecodeAny(t, r.Body)
			got["items"] = got["items"].([]any)[:len(wantItems)]
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%q: answer differs from the seed example (-seed +got):\n%s", query, d)
			}
		}
	})
}

// TestGolden pins the exact bytes of answers, field order included, for
// a fixed data set. Ids become their event's position in the data set
// (from 1) and trace ids a placeholder, so both engines share one file.
// Run with -update to rewrite the files after a deliberate change.
func TestGolden(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		tn := s.Tenant("Casino B", "operator", "casino-b", uuid.Nil)
		writer, reader := s.Key(tn.ID, "events:write"), s.Key(tn.ID, "events:read")
		stored := s.Ingest(writer,
			map[string]any{"occurred_at": "2024-06-10T08:00:00Z", "category": "Cpr", "action": "lookup", "external_ref": "cust-1", "context": "kyc-onboarding", "summary": "CprFound=True, IsDeceased=False"},
			map[string]any{"occurred_at": "2024-06-11T12:30:00.999999Z", "category": "Identity", "action": "result", "external_ref": "cust-1", "summary": "Provider=MitID, Result=Success"},
			map[string]any{"occurred_at": "2024-06-12T09:14:33.5Z", "category": "Rofus", "action": "evaluation", "external_ref": "cust-2", "context": "player-login", "summary": "GamblerStatus=NotRegistered, IsMinor=False, IsBlockedForPlay=False"},
			map[string]any{"occurred_at": "2024-06-12T10:00:00+02:00", "category": "ROFUS", "action": "CSRP_CHECK", "external_ref": "cust-2", "summary": "CsrpStatus=Registered"},
			map[string]any{"occurred_at": "2024-06-13T23:59:59Z", "category": "Safe", "action": "end_of_day", "external_ref": "site-1", "context": "reporting", "summary": "Submitted=True"},
			map[string]any{"occurred_at": "2024-06-14T06:00:00Z", "action": "STATUS_CHANGED", "summary": "written by another client"},
		)
		pos := compattest.Positions(stored)
		tests := []struct {
			name   string
			key    string
			query  string
			status int
		}{
			{"all", reader, "", 200},
			{"filtered", reader, "category=rofus&operation=EVALUATION&from=2024-06-12T00:00:00Z&to=2024-06-12T23:59:59Z", 200},
			{"second_page", reader, "pageSize=2&page=2", 200},
			{"past_end", reader, "page=9&pageSize=5", 200},
			{"invalid", reader, "page=0&pageSize=501&category=Casino&from=yesterday", 400},
			{"operation_mismatch", reader, "category=Cpr&operation=evaluation", 400},
			{"no_key", "", "", 401},
			{"no_scope", writer, "", 403},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := get(s, tc.key, tc.query)
				if r.Status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
				}
				compattest.Golden(t, engine, tc.name, normalise(t, r.Body, pos))
			})
		}
	})
}

var traceRE = regexp.MustCompile(`"traceId":"([^"]*)"`)

// normalise replaces assigned ids by positions and the random trace id by
// a placeholder (after checking its format), and indents the result
// without reordering anything.
func normalise(t *testing.T, body []byte, pos map[string]string) []byte {
	t.Helper()
	b := compattest.RenumberIDs(t, body, pos)
	b = traceRE.ReplaceAllFunc(b, func(m []byte) []byte {
		if id := string(traceRE.FindSubmatch(m)[1]); !traceIDRE.MatchString(id) {
			t.Errorf("traceId %q is not a W3C trace context id", id)
		}
		return []byte(`"traceId":"00-<trace-id>-<span-id>-00"`)
	})
	return compattest.Indent(t, b)
}
