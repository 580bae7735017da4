package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

func TestAuthentication(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		ctx := context.Background()
		readKey := s.Key(s.Root.ID, "events:read")
		elsewhere, _, err := s.App.Tenants.CreateKey(ctx, tenant.NewKey{Tenant: s.Root.ID.String(), Scopes: []string{"events:read"}, AllowIPs: []string{"10.0.0.0/8"}})
		if err != nil {
			t.Fatal(err)
		}
		here, _, err := s.App.Tenants.CreateKey(ctx, tenant.NewKey{Tenant: s.Root.ID.String(), Scopes: []string{"events:read"}, AllowIPs: []string{"10.0.0.0/8", "127.0.0.1"}})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			header string
			status int
		}{
			{"no header", "", 401},
			{"not bearer", "Basic " + readKey, 401},
			{"garbage", "Bearer nonsense", 401},
			{"unknown key", "Bearer ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 401},
			{"lowercase scheme", "bearer " + readKey, 200},
			{"valid", "Bearer " + readKey, 200},
			{"allow-list excludes us", "Bearer " + elsewhere, 401},
			{"allow-list includes us", "Bearer " + here, 200},
		}
		for _, tc := range tests {
			r := s.Do("GET", "/v1/events", "", nil, "Authorization", tc.header)
			if r.Status != tc.status {
				t.Errorf("%s: status %d, want %d (%s)", tc.name, r.Status, tc.status, r.Body)
			}
			if tc.status == 401 && !strings.Contains(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
			}
		}
		// Lacking a scope is 403, not 401.
		if r := s.Do("POST", "/v1/events", readKey, `{"action":"x"}`); r.Status != 403 {
			t.Errorf("read key writing: %d", r.Status)
		}
		if r := s.Do("GET", "/v1/admin/tenants", readKey, nil); r.Status != 403 {
			t.Errorf("read key on admin: %d", r.Status)
		}
		// Revocation takes effect at once.
		var created struct{ ID, Key string }
		s.Do("POST", "/v1/admin/keys", s.AdminKey, map[string]any{"scopes": []string{"events:read"}}).JSON(t, &created)
		if r := s.Do("GET", "/v1/events", created.Key, nil); r.Status != 200 {
			t.Fatalf("new key: %d", r.Status)
		}
		if r := s.Do("DELETE", "/v1/admin/keys/"+created.ID, s.AdminKey, nil); r.Status != 200 {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if r := s.Do("GET", "/v1/events", created.Key, nil); r.Status != 401 {
			t.Errorf("revoked key: %d, want 401", r.Status)
		}
	})
}

func TestAdminAPI(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		var acq struct{ ID, Name, Kind, Ref, Parent string }
		r := s.Do("POST", "/v1/admin/tenants", s.AdminKey, map[string]any{"name": "Acquirer A", "kind": "acquirer", "ref": "acq-a"})
		if r.Status != 201 {
			t.Fatalf("create tenant: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &acq)
		if acq.Parent != s.Root.ID.String() || acq.Kind != "acquirer" {
			t.Errorf("tenant = %+v, want a child of the admin's tenant", acq)
		}
		if _, err := uuid.Parse(acq.ID); err != nil || uuid.MustParse(acq.ID).Version() != 7 {
			t.Errorf("tenant id %q is not a UUIDv7", acq.ID)
		}
		r = s.Do("POST", "/v1/admin/tenants", s.AdminKey, map[string]any{"name": "M1", "kind": "merchant", "parent": "acq-a"})
		if r.Status != 201 {
			t.Fatalf("create merchant: %d %s", r.Status, r.Body)
		}
		for _, bad := range []struct {
			body   map[string]any
			status int
		}{
			{map[string]any{"name": ""}, 400},
			{map[string]any{"name": "x", "ref": "acq-a"}, 409},
			{map[string]any{"name": "x", "parent": "nope"}, 403},
			{map[string]any{"name": "x", "colour": "red"}, 400},
		} {
			if r := s.Do("POST", "/v1/admin/tenants", s.AdminKey, bad.body); r.Status != bad.status {
				t.Errorf("create %v: %d %s, want %d", bad.body, r.Status, r.Body, bad.status)
			}
		}
		// An acquirer's admin sees and manages only its own tree.
		acqAdmin := s.Key(uuid.MustParse(acq.ID), "admin", "events:read")
		var list struct{ Tenants []struct{ ID, Name string } }
		s.Do("GET", "/v1/admin/tenants", acqAdmin, nil).JSON(t, &list)
		if len(list.Tenants) != 2 {
			t.Errorf("acquirer admin lists %d tenants, want 2: %+v", len(list.Tenants), list.Tenants)
		}
		if r := s.Do("POST", "/v1/admin/keys", acqAdmin, map[string]any{"tenant": s.Root.ID.String(), "scopes": []string{"admin"}}); r.Status != 403 {
			t.Errorf("acquirer admin making a root key: %d", r.Status)
		}
		if r := s.Do("POST", "/v1/admin/keys", acqAdmin, map[string]any{"scopes": []string{"root"}}); r.Status != 400 {
			t.Errorf("unknown scope: %d", r.Status)
		}
		if r := s.Do("POST", "/v1/admin/keys", acqAdmin, map[string]any{"scopes": []string{"events:read"}, "allow_ips": []string{"not-an-ip"}}); r.Status != 400 {
			t.Errorf("bad allow-list: %d", r.Status)
		}
		var k struct {
			ID, Key, Tenant string
			AllowIPs        []string `json:"allow_ips"`
		}
		r = s.Do("POST", "/v1/admin/keys", acqAdmin, map[string]any{"name": "ci", "scopes": []string{"events:read"}, "allow_ips": []string{"192.0.2.7", "10.0.0.0/8"}})
		r.JSON(t, &k)
		if r.Status != 201 || !strings.HasPrefix(k.Key, "ak_") || len(k.Key) < 3+26 || fmt.Sprint(k.AllowIPs) != "[192.0.2.7/32 10.0.0.0/8]" {
			t.Errorf("create key: %d %s", r.Status, r.Body)
		}
		var keys struct{ Keys []map[string]any }
		s.Do("GET", "/v1/admin/keys", acqAdmin, nil).JSON(t, &keys)
		for _, kk := range keys.Keys {
			if _, ok := kk["key"]; ok {
				t.Errorf("key list shows a secret: %v", kk)
			}
		}
		if len(keys.Keys) != 2 {
			t.Errorf("acquirer admin lists %d keys, want 2", len(keys.Keys))
		}
		// The root's keys are not the acquirer's to revoke: 404 as if missing.
		var rootKeys struct{ Keys []struct{ ID, Tenant string } }
		s.Do("GET", "/v1/admin/keys?tenant="+s.Root.ID.String(), s.AdminKey, nil).JSON(t, &rootKeys)
		if r := s.Do("DELETE", "/v1/admin/keys/"+rootKeys.Keys[0].ID, acqAdmin, nil); r.Status != http.StatusNotFound {
			t.Errorf("acquirer revoking a root key: %d", r.Status)
		}
	})
}

func TestOperations(t *testing.T) {
	s := apitest.New(t, "sqlite")
	if r := s.Do("GET", "/healthz", "", nil); r.Status != 200 {
		t.Errorf("healthz %d", r.Status)
	}
	if r := s.Do("GET", "/readyz", "", nil); r.Status != 200 || !strings.Contains(string(r.Body), "sqlite") {
		t.Errorf("readyz %d %s", r.Status, r.Body)
	}
	s.Ingest(s.AdminKey, map[string]any{"action": "x"})
	s.Do("GET", "/nope", "", nil)
	r := s.Do("GET", "/metrics", "", nil)
	for _, m := range []string{
		`auditkeep_http_requests_total{route="POST /v1/events",status="201"} 1`,
		`auditkeep_http_requests_total{route="unmatched",status="404"} 1`,
		"auditkeep_http_request_seconds_bucket",
		"auditkeep_ingest_group_events_bucket",
		"auditkeep_ingest_commit_seconds_count 1",
		"auditkeep_ingest_queue_depth 0",
	} {
		if !strings.Contains(string(r.Body), m) {
			t.Errorf("metrics lack %q", m)
		}
	}
}
