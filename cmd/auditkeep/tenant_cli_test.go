package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Tenants made on the command line the way an operator types them: a
// FrankieOne client's customer ids kept as they are, Moyasar kinds in any
// case, refs in any case. The dialects then answer as their clients expect.
func TestTenantsAsAnOperatorTypesThem(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ops.db")
	cli := func(args ...string) (map[string]any, error) {
		var out, errb bytes.Buffer
		if err := run(context.Background(), append(args, "--db", db, "--json"), func(string) string { return "" }, &out, &errb); err != nil {
			return nil, fmt.Errorf("%w: %s", err, errb.String())
		}
		var v map[string]any
		if err := json.Unmarshal(out.Bytes(), &v); err != nil {
			t.Fatalf("%v printed %q: %v", args, out.String(), err)
		}
		return v, nil
	}
	must := func(args ...string) map[string]any {
		t.Helper()
		v, err := cli(args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return v
	}
	const custID, childID = "12345678-1234-1234-1234-123456789012", "abcdef01-2345-6789-abcd-ef0123456789"
	cust := must("tenant", "create", "--id", custID, "--name", "Customer", "--kind", "Customer")
	child := must("tenant", "create", "--id", strings.ToUpper(childID), "--name", "Child", "--kind", "customer", "--parent", custID)
	acq := must("tenant", "create", "--name", "Acquirer A", "--kind", "Acquirer", "--ref", " ACQ-1 ")
	mer := must("tenant", "create", "--name", "Merchant M", "--kind", "MERCHANT", "--ref", "m-1", "--parent", "acq-1")
	if cust["id"] != custID || child["id"] != childID || child["parent"] != custID {
		t.Errorf("ids not kept: %v, %v", cust, child)
	}
	if acq["kind"] != "acquirer" || mer["kind"] != "merchant" || cust["kind"] != "customer" || acq["ref"] != "ACQ-1" {
		t.Errorf("kinds or refs not normalised: %v, %v, %v", acq, mer, cust)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"tenant", "create", "--name", "x", "--ref", "11111111-2222-3333-4444-555555555555"}, "--id"},
		{[]string{"tenant", "create", "--name", "x", "--id", custID}, "id: is not available"},
		{[]string{"tenant", "create", "--name", "x", "--id", "00000000-0000-0000-0000-000000000000"}, "nil UUID"},
		{[]string{"tenant", "create", "--name", "x", "--id", "cust-1"}, "must be a UUID"},
		{[]string{"tenant", "create", "--name", "x", "--ref", "Acq-1"}, "ref: is not available"},
		{[]string{"tenant", "create", "--name", "a\x00b"}, "NUL"},
		{[]string{"tenant", "create", "--name", "x", "--kind", "\xff"}, "UTF-8"},
		{[]string{"key", "create", "--tenant", "acq-1", "--scopes", "events:read", "--name", "k\x00"}, "NUL"},
		{[]string{"key", "create", "--tenant", "acq-1", "--scopes", "events:read", "--allow-ip", "10.0.0.0/8", "--allow-ip", "fe80::1%lo"}, "allow_ips[1]"},
	} {
		if _, err := cli(tc.args...); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: err = %v, want one saying %q", tc.args, err, tc.msg)
		}
	}
	// The operator is not bound by the admin rule: one key gets every scope.
	custKey := must("key", "create", "--tenant", custID, "--scopes", "events:write,events:read,admin")["key"].(string)
	acqKey := must("key", "create", "--tenant", "Acq-1", "--scopes", "events:write,audit_logs_read", "--allow-ip", "::ffff:127.0.0.0/104")["key"].(string)

	s := apitest.New(t, "sqlite", func(c *app.Config) { c.DB = db })
	// A tenant made before kinds were lower-cased keeps the case typed.
	legacy := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "Old Merchant", Kind: "MERCHANT", Parent: uuid.MustParse(acq["id"].(string)), CreatedAt: time.Now()}
	if err := s.App.Store.CreateTenant(context.Background(), &legacy); err != nil {
		t.Fatal(err)
	}
	s.Ingest(custKey, map[string]any{"action": "customer-own"}, map[string]any{"action": "child-only", "tenant": childID})
	s.Ingest(acqKey, map[string]any{"action": "acquirer-own"}, map[string]any{"action": "merchant-own", "tenant": "M-1"},
		map[string]any{"action": "legacy-merchant", "tenant": legacy.ID.String()})

	// FrankieOne: the client's own customer ids, unchanged.
	r := s.Do("GET", "/v2/audit?limit=10", "", nil, "api_key", custKey, "X-Frankie-CustomerID", custID, "X-Frankie-CustomerChildID", childID)
	var fo struct{ Events []map[string]any }
	r.JSON(t, &fo)
	if r.Status != 200 || len(fo.Events) != 1 || !strings.Contains(fmt.Sprint(fo.Events[0]), "child-only") {
		t.Errorf("FrankieOne with UUID customer ids: %d %s", r.Status, r.Body)
	}
	r = s.Do("GET", "/v2/audit?limit=10", "", nil, "api_key", custKey, "X-Frankie-CustomerID", custID)
	r.JSON(t, &fo)
	if r.Status != 200 || len(fo.Events) != 2 {
		t.Errorf("FrankieOne for the customer: %d %s, want its 2 events", r.Status, r.Body)
	}

	// Moyasar: organization_type whatever case the kind was typed in, and
	// the filter by it.
	var ml struct {
		AuditLogs []struct {
			Action           string  `json:"action"`
			OrganizationType *string `json:"organization_type"`
		} `json:"audit_logs"`
	}
	r = s.Do("GET", "/v1/audit_logs", acqKey, nil)
	r.JSON(t, &ml)
	got := map[string]string{}
	for _, e := range ml.AuditLogs {
		if e.OrganizationType != nil {
			got[e.Action] = *e.OrganizationType
		}
	}
	if r.Status != 200 || got["acquirer-own"] != "Acquirer" || got["merchant-own"] != "Merchant" || got["legacy-merchant"] != "Merchant" {
		t.Errorf("Moyasar organization_type: %v (%d %s)", got, r.Status, r.Body)
	}
	r = s.Do("GET", "/v1/audit_logs?organization_type=Merchant", acqKey, nil)
	r.JSON(t, &ml)
	if r.Status != 200 || len(ml.AuditLogs) != 2 {
		t.Errorf("Moyasar organization_type=Merchant: %d %s", r.Status, r.Body)
	}
}
