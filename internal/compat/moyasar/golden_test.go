package moyasar_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// seedID is the UUID the seed page's example uses for every id.
const seedID = "0191f5a7-3d99-7f81-b7ec-962a5f5fdd7c"

// seedEvent is the page's example entry as a canonical event, written to
// tenant ref "string" (the example's merchant_id), an acquirer named
// "string".
func seedEvent() map[string]any {
	return map[string]any{
		"tenant": "string", "uuid": seedID, "occurred_at": "2025-01-15T14:30:00Z",
		"actor":      map[string]any{"type": "AcquirerUser", "id": seedID, "email": "string"},
		"targets":    []map[string]any{{"type": "Order", "id": seedID}},
		"session_id": seedID, "action": "create", "action_type": "active",
		"summary": "AcquirerApiKey:0191… performed create action on Merchant:0192…",
	}
}

// TestSeedExample writes the seed page's example through POST /v1/events
// (with an older entry, so a second page exists) and reads the first page
// of one: the answer must be the page's example with every field name,
// JSON type and null. Only the organization's id, which auditkeep assigns
// to the tenant, is put in from the example.
func TestSeedExample(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, nil)
		f.Add("string", "string", "acquirer", "")
		f.Ingest(f.Writer, seedEvent(), map[string]any{"tenant": "string", "occurred_at": "2025-01-15T14:29:00Z", "action": "index", "action_type": "passive"})
		r := f.get(f.Keys["string"], "/v1/audit_logs?items=1")
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("status %d, content type %q: %s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		orgID := f.Tenants["string"].ID.String()
		body := bytes.ReplaceAll(r.Body, []byte(`"id":"`+orgID+`"`), []byte(`"id":"`+seedID+`"`))
		compattest.Golden(t, engine, "seed_list", body)

		got := compattest.DecodeAny(t, body)
		var want map[string]any
		compattest.ReadJSON(t, filepath.Join("testdata", "seed_list.json"), &want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("answer differs from the seed page's example (-seed +got):\n%s", diff)
		}

		// The same entry alone, unwrapped.
		r = f.get(f.Keys["string"], "/v1/audit_logs/"+seedID)
		if r.Status != 200 {
			t.Fatalf("GET one: %d %s", r.Status, r.Body)
		}
		one := compattest.DecodeAny(t, bytes.ReplaceAll(r.Body, []byte(orgID), []byte(seedID)))
		if diff := cmp.Diff(want["audit_logs"].([]any)[0], one); diff != "" {
			t.Errorf("GET /v1/audit_logs/{id} differs from the example entry (-seed +got):\n%s", diff)
		}
	})
}

// TestEntryGolden pins the entries the example does not show: a generated
// description, subject_changes, nulls, enum values outside the vendor's
// lists, and a merchant's organization.
func TestEntryGolden(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, []node{{"acq", "acquirer", ""}, {"m1", "merchant", "acq"}, {"-branch", "branch", "acq"}})
		branch := f.Tenants["branch"].ID.String()
		f.Ingest(f.Writer,
			map[string]any{
				"tenant": "m1", "uuid": "0191f5a7-3d99-7f81-b7ec-000000000001", "occurred_at": "2025-01-15T14:30:00.999Z",
				"actor":   map[string]any{"type": "AcquirerApiKey", "id": "0191f5a7-3d99-7f81-b7ec-aaaaaaaaaaaa"},
				"targets": []map[string]any{{"type": "Merchant", "id": "0192f5a7-3d99-7f81-b7ec-bbbbbbbbbbbb"}, {"type": "Acquirer", "id": "x"}},
				"action":  "update",
				"changes": []map[string]any{
					{"field": "name", "old": "Old <Name>", "new": "New & Name"},
					{"field": "status", "old": "pending", "new": "review"},
					{"field": "status", "old": "review", "new": "live"},
					{"field": "fee", "new": 2.5},
				},
				"metadata": map[string]any{"request_path": "/v1/merchants/0192", "user_agent": "curl/8.5", "ip_info": map[string]any{"ip": "192.0.2.7"}},
			},
			map[string]any{
				"tenant": "acq", "uuid": "0191f5a7-3d99-7f81-b7ec-000000000002", "occurred_at": "2025-01-15T14:31:00Z",
				"actor": map[string]any{"type": "user", "email": "ops@acq.example"}, "action": "index", "action_type": "passive",
			},
			map[string]any{
				"tenant": branch, "uuid": "0191f5a7-3d99-7f81-b7ec-000000000003", "occurred_at": "2025-01-15T14:32:00Z",
				"action": "destroy", "targets": []map[string]any{{"type": "Order", "id": "o-1"}},
				"metadata": map[string]any{"subject_changes": map[string]any{"state": map[string]any{"before": "paid", "after": nil}}},
			},
		)
		r := f.get(f.Keys["acq"], "/v1/audit_logs?sort[dir]=asc")
		if r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		body := r.Body
		for ref, tn := range f.Tenants {
			body = bytes.ReplaceAll(body, []byte(tn.ID.String()), []byte("tenant-"+ref))
		}
		compattest.Golden(t, engine, "entries", body)
	})
}

// TestErrorGolden pins the error bodies.
func TestErrorGolden(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, []node{{"acq", "acquirer", ""}})
		noScope := f.Key(f.Tenants["acq"].ID, "kyc:read")
		tests := []struct {
			name   string
			key    string
			path   string
			status int
		}{
			{"error_missing_auth", "", "/v1/audit_logs", 401},
			{"error_invalid_auth", "ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "/v1/audit_logs", 401},
			{"error_forbidden", noScope, "/v1/audit_logs", 403},
			{"error_not_found", f.Keys["acq"], "/v1/audit_logs/" + seedID, 404},
			{"error_invalid_params", f.Keys["acq"], "/v1/audit_logs?page=0&items=500&performer_id=42&performer_type=Robot&organization_type=Platform&action_type=write&created_at[gte]=yesterday&sort[field]=id&sort[dir]=up&subject_id=x", 422},
		}
		for _, tc := range tests {
			r := f.get(tc.key, tc.path)
			if r.Status != tc.status {
				t.Errorf("%s: status %d, want %d: %s", tc.name, r.Status, tc.status, r.Body)
				continue
			}
			compattest.Golden(t, engine, tc.name, r.Body)
		}
	})
}
