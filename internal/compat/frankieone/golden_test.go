package frankieone_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// seedRequestID is the requestId of the seed page's example. Golden files
// hold it in place of the fresh ULID each answer carries: that id is the
// only value of an answer auditkeep assigns at request time.
const seedRequestID = "01HN9XHZN6MGXM9JXG50K59Q85"

var ulidPattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)

// normalise checks the answer's fresh requestId and puts seedRequestID in
// its place.
func normalise(t *testing.T, body []byte) []byte {
	t.Helper()
	var top struct {
		RequestID string `json:"requestId"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if !ulidPattern.MatchString(top.RequestID) {
		t.Fatalf("requestId %q is not a ULID", top.RequestID)
	}
	return bytes.ReplaceAll(body, []byte(`"requestId":"`+top.RequestID+`"`), []byte(`"requestId":"`+seedRequestID+`"`))
}

// TestSeedExample writes the seed page's example event through
// POST /v1/events and reads it back: the answer must be the page's example
// with every field name at every level, every JSON type and value. Only the
// response's requestId (fresh per call) and meta's numbers (the page's
// placeholders, 123) are put in from the example.
func TestSeedExample(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, [][2]string{{"customer-1", ""}})
		var in map[string]any
		compattest.ReadJSON(t, filepath.Join("testdata", "seed_event.json"), &in)
		in["tenant"] = "customer-1"
		f.Ingest(f.Writer, in)

		r := f.get(f.Keys["customer-1"], "customer-1", "sort=asc")
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("status %d, content type %q: %s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		body := normalise(t, r.Body)
		compattest.Golden(t, engine, "seed_list", body)

		got := compattest.DecodeAny(t, body)
		meta := got["meta"].(map[string]any)
		wantMeta := map[string]any{"page": json.Number("1"), "total": json.Number("1"), "limit": json.Number("20"), "count": json.Number("1"), "sort": "asc", "sortFields": []any{"createdAt"}}
		if diff := cmp.Diff(wantMeta, meta); diff != "" {
			t.Errorf("meta (-want +got):\n%s", diff)
		}
		for _, k := range []string{"page", "total", "limit", "count"} {
			meta[k] = json.Number("123")
		}
		var seed map[string]any
		compattest.ReadJSON(t, filepath.Join("testdata", "seed_list.json"), &seed)
		if diff := cmp.Diff(seed, got); diff != "" {
			t.Errorf("answer differs from the seed page's example (-seed +got):\n%s", diff)
		}
	})
}

// TestDefaultsGolden pins what an event written by another dialect's client
// looks like: required fields filled with the documented defaults, and
// optional enum fields outside their enums left out.
func TestDefaultsGolden(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, [][2]string{{"customer-1", ""}})
		f.Ingest(f.Writer,
			map[string]any{
				"tenant": "customer-1", "uuid": "0191f5a7-3d99-7f81-b7ec-962a5f5fdd7c",
				"occurred_at": "2024-06-12T09:14:33.123456Z", "action": "lookup",
			},
			map[string]any{
				"tenant": "customer-1", "uuid": "0191f5a7-3d99-7f81-b7ec-962a5f5fdd7d",
				"occurred_at": "2024-06-12T09:14:34Z", "action": "ENTITY_UPDATE", "status": "failure", "level": 3,
				"channel": "web", "source": "kyc-portal", "summary": "Case status changed",
				"targets":  []map[string]any{{"type": "kyc_case", "id": "42"}},
				"subject":  map[string]any{"type": "person", "id": "p-1"},
				"labels":   map[string]any{"workflow_name": "onboarding", "risk_level": "low"},
				"metadata": map[string]any{"status": "weird", "lifecyclePhase": "LATER", "riskScore": "high", "functionName": 7, "elapsedTimeInMilliSeconds": 1.5, "supplementaryData": []any{1}},
			},
			map[string]any{
				"tenant": "customer-1", "uuid": "0191f5a7-3d99-7f81-b7ec-962a5f5fdd7e",
				"occurred_at": "2024-06-12T09:14:35Z", "action": "comment", "status": "info",
				"channel": "PORTAL", "reason": "Called the customer.",
				"metadata": map[string]any{"userComment": map[string]any{"entityType": "PERSON", "commentId": "c-1"}},
			},
		)
		r := f.get(f.Keys["customer-1"], "customer-1", "")
		if r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		compattest.Golden(t, engine, "defaults_list", normalise(t, r.Body))
	})
}

// TestErrorGolden pins the error objects.
func TestErrorGolden(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, [][2]string{{"customer-1", ""}})
		key := f.Keys["customer-1"]
		tests := []struct {
			name     string
			key      string
			customer string
			query    string
			status   int
		}{
			{"error_bad_parameters", key, "", "limit=0&page=x&channels=API&channels=WEB&sort=up&afterTimestamp=yesterday&sortFields=createdAt", 400},
			{"error_no_key", "", "customer-1", "", 401},
			{"error_bad_key", "ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "customer-1", "", 401},
			{"error_customer", key, "someone-else", "", 401},
		}
		for _, tc := range tests {
			r := f.get(tc.key, tc.customer, tc.query)
			if r.Status != tc.status {
				t.Errorf("%s: status %d, want %d: %s", tc.name, r.Status, tc.status, r.Body)
				continue
			}
			compattest.Golden(t, engine, tc.name, normalise(t, r.Body))
		}
	})
}
