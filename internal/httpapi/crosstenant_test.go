package httpapi_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// perRequest are the parts of an answer that differ on every request:
// request and trace ids, and the time of the answer.
var perRequest = regexp.MustCompile(`"(requestId|traceId|timestamp)":"[^"]*"`)

// TestCrossTenant: every read route, called with a key of tenant a
// against tenant b's ids (event ids and uuids, tenant ids and refs, case,
// customer, subject, performer and key ids), answers exactly as it does
// for ids that exist nowhere: same status, same body but for request ids.
// The same request with b's own key finds what it names, so the ids are
// real.
func TestCrossTenant(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := compattest.NewFamily(t, engine, "events:read")
		a, b := f.Tenants["a"], f.Tenants["b"]
		keyA := f.Key(a.ID, "events:read", "admin")
		keyB := f.Key(b.ID, "events:read", "admin")
		performer := uuid.NewString()
		ev := f.Ingest(f.Writer, map[string]any{
			"tenant": b.ID.String(), "action": "secret.b", "uuid": uuid.NewString(), "external_ref": "ext-b",
			"actor":   map[string]any{"type": "user", "id": performer},
			"subject": map[string]any{"type": "entity", "id": "ent-b"},
			"targets": []map[string]any{{"type": "kyc_case", "id": "4242"}},
		})[0]
		f.Ingest(f.Writer, map[string]any{"tenant": a.ID.String(), "action": "mine.a"})
		keys, err := f.App.Store.Keys(context.Background(), b.ID)
		if err != nil || len(keys) == 0 {
			t.Fatalf("b's keys: %v", err)
		}
		none := uuid.NewString()

		type req struct {
			path    string
			headers []string
		}
		bearer := func(path string, headers ...string) req { return req{path, headers} }
		frankie := func(customer, child string) req {
			h := []string{"X-Frankie-CustomerID", customer}
			if child != "" {
				h = append(h, "X-Frankie-CustomerChildID", child)
			}
			return req{"/v2/audit", h}
		}
		cases := []struct {
			name             string
			method           string
			foreign, missing req
			owner            bool // b's key finds what foreign names
		}{
			{"native event by id", "GET", bearer(fmt.Sprintf("/v1/events/%d", ev.ID)), bearer("/v1/events/999999999"), true},
			{"native event by uuid", "GET", bearer("/v1/events/" + ev.UUID), bearer("/v1/events/" + none), true},
			{"native list by tenant ref", "GET", bearer("/v1/events?tenant=b"), bearer("/v1/events?tenant=nowhere"), true},
			{"native list by tenant id", "GET", bearer("/v1/events?tenant=" + b.ID.String()), bearer("/v1/events?tenant=" + none), true},
			{"native list by tenant subtree", "GET", bearer("/v1/events?tenant.descendants=true&tenant=b"), bearer("/v1/events?tenant.descendants=true&tenant=nowhere"), true},
			{"native list by event id", "GET", bearer(fmt.Sprintf("/v1/events?id=%d", ev.ID)), bearer("/v1/events?id=999999999"), true},
			{"native list by uuid", "GET", bearer("/v1/events?uuid=" + ev.UUID), bearer("/v1/events?uuid=" + none), true},
			{"admin keys by tenant ref", "GET", bearer("/v1/admin/keys?tenant=b"), bearer("/v1/admin/keys?tenant=nowhere"), true},
			{"admin keys by tenant id", "GET", bearer("/v1/admin/keys?tenant=" + b.ID.String()), bearer("/v1/admin/keys?tenant=" + none), true},
			{"admin revoke key", "DELETE", bearer("/v1/admin/keys/" + keys[0].ID.String()), bearer("/v1/admin/keys/" + none), false},
			{"ledger checkpoint", "GET", bearer("/v1/ledger/checkpoint?tenant=b"), bearer("/v1/ledger/checkpoint?tenant=nowhere"), false},
			{"ledger checkpoints", "GET", bearer("/v1/ledger/checkpoints?tenant=" + b.ID.String()), bearer("/v1/ledger/checkpoints?tenant=" + none), false},
			{"ledger inclusion by tenant", "GET", bearer("/v1/ledger/proof/inclusion?seq=0&tenant=b"), bearer("/v1/ledger/proof/inclusion?seq=0&tenant=nowhere"), false},
			{"ledger inclusion by event id", "GET", bearer(fmt.Sprintf("/v1/ledger/proof/inclusion?event=%d", ev.ID)), bearer("/v1/ledger/proof/inclusion?event=999999999"), false},
			{"ledger inclusion by event uuid", "GET", bearer("/v1/ledger/proof/inclusion?event=" + ev.UUID), bearer("/v1/ledger/proof/inclusion?event=" + none), false},
			{"ledger consistency", "GET", bearer("/v1/ledger/proof/consistency?from=1&tenant=b"), bearer("/v1/ledger/proof/consistency?from=1&tenant=nowhere"), false},
			{"ledger export", "GET", bearer("/v1/ledger/export?tenant=" + b.ID.String()), bearer("/v1/ledger/export?tenant=" + none), false},
			{"fortuna external reference", "GET", bearer("/api/audit/records?externalReference=ext-b"), bearer("/api/audit/records?externalReference=ext-none"), true},
			{"auditply case", "GET", bearer("/api/v1/kyc/cases/4242/audit-log"), bearer("/api/v1/kyc/cases/4243/audit-log"), true},
			{"frankieone customer id", "GET", frankie(b.ID.String(), ""), frankie(none, ""), true},
			{"frankieone customer ref", "GET", frankie("b", ""), frankie("nowhere", ""), true},
			{"frankieone child", "GET", frankie("a", b.ID.String()), frankie("a", none), false},
			{"frankieone entity", "GET", bearer("/v2/audit?entityId=ent-b", "X-Frankie-CustomerID", "a"), bearer("/v2/audit?entityId=ent-none", "X-Frankie-CustomerID", "a"), false},
			{"moyasar entry", "GET", bearer("/v1/audit_logs/" + ev.UUID), bearer("/v1/audit_logs/" + none), true},
			{"moyasar performer", "GET", bearer("/v1/audit_logs?performer_id=" + performer), bearer("/v1/audit_logs?performer_id=" + none), true},
		}
		do := func(method string, r req, key string) *apitest.Response {
			h := append([]string{"api_key", key}, r.headers...)
			return f.Do(method, r.path, key, nil, h...)
		}
		answer := func(r *apitest.Response) string {
			return fmt.Sprintf("%d %s %s", r.Status, r.Header.Get("Content-Type"), perRequest.ReplaceAll(r.Body, []byte(`"$1":"…"`)))
		}
		for _, tc := range cases {
			foreign, missing := do(tc.method, tc.foreign, keyA), do(tc.method, tc.missing, keyA)
			if answer(foreign) != answer(missing) {
				t.Errorf("%s: a's key on b's id answers\n  %s\nbut on a missing one\n  %s", tc.name, answer(foreign), answer(missing))
			}
			if tc.owner {
				mine := do(tc.method, tc.foreign, keyB)
				if answer(mine) == answer(missing) {
					t.Errorf("%s: b's own key does not find it either (%s): the case tests nothing", tc.name, answer(mine))
				}
			}
		}
	})
}
