package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
)

// An admin key grants only the scopes it holds; admin does not imply the
// others.
func TestAdminGrantsOnlyItsOwnScopes(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		adminOnly := s.Key(s.Root.ID, "admin")
		adminRead := s.Key(s.Root.ID, "admin", "events:read")
		tests := []struct {
			name   string
			key    string
			scopes []string
			status int
		}{
			{"admin-only grants events:write", adminOnly, []string{"events:write"}, 403},
			{"admin-only grants events:read", adminOnly, []string{"events:read"}, 403},
			{"admin-only grants admin", adminOnly, []string{"admin"}, 201},
			{"admin+read grants events:read", adminRead, []string{"events:read"}, 201},
			{"admin+read grants a vendor read scope", adminRead, []string{"kyc:read", "audit_logs_read"}, 201},
			{"admin+read grants events:write", adminRead, []string{"events:read", "events:write"}, 403},
			{"admin+read grants admin and read", adminRead, []string{"admin", "events:read"}, 201},
			{"the bootstrap key grants everything", s.AdminKey, []string{"admin", "events:read", "events:write"}, 201},
		}
		for _, tc := range tests {
			r := s.Do("POST", "/v1/admin/keys", tc.key, map[string]any{"scopes": tc.scopes})
			if r.Status != tc.status {
				t.Errorf("%s: status %d, want %d (%s)", tc.name, r.Status, tc.status, r.Body)
				continue
			}
			if tc.status == 403 {
				var eb errorBody
				r.JSON(t, &eb)
				if eb.Error.Field != "scopes" || !strings.Contains(eb.Error.Message, "only its own scopes") {
					t.Errorf("%s: error %+v, want one on scopes", tc.name, eb.Error)
				}
			}
		}
		// What was refused was not made.
		var keys struct{ Keys []struct{ Scopes []string } }
		s.Do("GET", "/v1/admin/keys", s.AdminKey, nil).JSON(t, &keys)
		for _, k := range keys.Keys {
			if strings.Contains(strings.Join(k.Scopes, ","), "events:write") && len(k.Scopes) == 2 {
				t.Errorf("a refused key was stored: %v", k.Scopes)
			}
		}
	})
}

func TestAdminAllowListEntries(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		for _, tc := range []struct {
			allow []string
			field string
		}{
			{[]string{"10.0.0.0/8", ""}, "allow_ips[1]"},
			{[]string{"nonsense"}, "allow_ips[0]"},
			{[]string{"192.0.2.7", "10.0.0.0/8", "fe80::1%eth0"}, "allow_ips[2]"},
			{[]string{"::ffff:10.0.0.0/64"}, "allow_ips[0]"},
		} {
			r := s.Do("POST", "/v1/admin/keys", s.AdminKey, map[string]any{"scopes": []string{"events:read"}, "allow_ips": tc.allow})
			var eb errorBody
			r.JSON(t, &eb)
			if r.Status != 400 || eb.Error.Field != tc.field {
				t.Errorf("allow_ips %q: %d %s, want 400 on %s", tc.allow, r.Status, r.Body, tc.field)
			}
		}
		var k struct {
			Key      string
			AllowIPs []string `json:"allow_ips"`
		}
		r := s.Do("POST", "/v1/admin/keys", s.AdminKey, map[string]any{"scopes": []string{"events:read"}, "allow_ips": []string{"::ffff:127.0.0.0/104", "::1"}})
		r.JSON(t, &k)
		if r.Status != 201 || strings.Join(k.AllowIPs, " ") != "127.0.0.0/8 ::1/128" {
			t.Fatalf("mapped entry: %d %s, want it stored as 127.0.0.0/8", r.Status, r.Body)
		}
		// The unmapped entry lets the test's own 127.0.0.1 in.
		if r := s.Do("GET", "/v1/events", k.Key, nil); r.Status != 200 {
			t.Errorf("key allowed from ::ffff:127.0.0.0/104 used from 127.0.0.1: %d", r.Status)
		}
	})
}

// Names, kinds and refs are text: no NUL, no invalid UTF-8, in the admin
// API as on the command line (the same service).
func TestAdminTenantAndKeyText(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		for _, tc := range []struct {
			path, body, field string
		}{
			{"/v1/admin/tenants", `{"name":"a\u0000b"}`, "name"},
			{"/v1/admin/tenants", `{"name":"ok","kind":"x\u0000"}`, "kind"},
			{"/v1/admin/tenants", `{"name":"ok","ref":"r\u0000"}`, "ref"},
			{"/v1/admin/tenants", `{"name":"ok","ref":"r\ud800"}`, "ref"},
			{"/v1/admin/tenants", "{\"name\":\"\xff\"}", "name"},
			{"/v1/admin/tenants", `{"name":"a","NAME":"b"}`, "NAME"},
			{"/v1/admin/keys", `{"name":"k\u0000","scopes":["events:read"]}`, "name"},
			{"/v1/admin/keys", `{"name":"k","scopes":["events:read"],"Scopes":["admin"]}`, "Scopes"},
		} {
			r := s.Do("POST", tc.path, s.AdminKey, tc.body)
			var eb errorBody
			r.JSON(t, &eb)
			if r.Status != 400 || eb.Error.Field != tc.field {
				t.Errorf("%s %s: %d %s, want 400 on %s", tc.path, tc.body, r.Status, r.Body, tc.field)
			}
		}
		var list struct{ Tenants []struct{ Name string } }
		s.Do("GET", "/v1/admin/tenants", s.AdminKey, nil).JSON(t, &list)
		if len(list.Tenants) != 1 {
			t.Errorf("refused requests made tenants: %+v", list.Tenants)
		}
	})
}

// Refs are trimmed and compared without regard to case; a taken ref is
// "not available", the same whether the holder is in the admin's tree.
func TestAdminTenantRefs(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		other := s.Tenant("Elsewhere", "", "Other-Acq", uuid.Nil)
		acq := s.Tenant("Acquirer", "acquirer", "acq-a", uuid.Nil)
		acqAdmin := s.Key(acq.ID, "admin", "events:read", "events:write")
		s.Tenant("Mine", "merchant", "Mine-1", acq.ID)
		var created struct{ ID, Ref, Parent string }
		r := s.Do("POST", "/v1/admin/tenants", acqAdmin, map[string]any{"name": "M", "ref": "  m-2\t"})
		r.JSON(t, &created)
		if r.Status != 201 || created.Ref != "m-2" || created.Parent != acq.ID.String() {
			t.Fatalf("create with a padded ref: %d %s", r.Status, r.Body)
		}
		var answers []string
		for _, ref := range []string{"mine-1", "MINE-1", " Mine-1 ", "other-acq", "OTHER-ACQ"} {
			r := s.Do("POST", "/v1/admin/tenants", acqAdmin, map[string]any{"name": "x", "ref": ref})
			var eb errorBody
			r.JSON(t, &eb)
			if r.Status != http.StatusConflict || eb.Error.Field != "ref" {
				t.Errorf("ref %q: %d %s, want 409 on ref", ref, r.Status, r.Body)
			}
			answers = append(answers, eb.Error.Message)
		}
		for _, a := range answers {
			if a != answers[0] || strings.Contains(a, "Other") || strings.Contains(a, other.ID.String()) {
				t.Errorf("the answers to taken refs differ or name the holder: %q", answers)
				break
			}
		}
		// Lookups by ref ignore case too: as a parent, as an event's tenant.
		if r := s.Do("POST", "/v1/admin/tenants", acqAdmin, map[string]any{"name": "child", "parent": "MINE-1"}); r.Status != 201 {
			t.Errorf("parent by a ref in another case: %d %s", r.Status, r.Body)
		}
		var ev struct{ Tenant string }
		r = s.Do("POST", "/v1/events", acqAdmin, map[string]any{"action": "x", "tenant": "M-2"})
		r.JSON(t, &ev)
		if r.Status != 201 || ev.Tenant != created.ID {
			t.Errorf("event for tenant M-2: %d %s, want tenant %s", r.Status, r.Body, created.ID)
		}
		// Another tree's ref is no more reachable in another case.
		if r := s.Do("POST", "/v1/events", acqAdmin, map[string]any{"action": "x", "tenant": "other-ACQ"}); r.Status != 403 {
			t.Errorf("event for another tree's ref: %d %s", r.Status, r.Body)
		}
	})
}

// A tenant may be given the id a FrankieOne client already uses.
func TestAdminTenantWithID(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		id := "12345678-1234-1234-1234-123456789012"
		var created struct{ ID, Kind string }
		r := s.Do("POST", "/v1/admin/tenants", s.AdminKey, map[string]any{"id": id, "name": "Customer", "kind": "Customer"})
		r.JSON(t, &created)
		if r.Status != 201 || created.ID != id || created.Kind != "customer" {
			t.Fatalf("create with id: %d %s", r.Status, r.Body)
		}
		for _, tc := range []struct {
			body   map[string]any
			status int
			field  string
		}{
			{map[string]any{"id": id, "name": "again"}, 409, "id"},
			{map[string]any{"id": strings.ToUpper(id), "name": "again"}, 409, "id"},
			{map[string]any{"id": s.Root.ID.String(), "name": "root's"}, 409, "id"},
			{map[string]any{"id": uuid.Nil.String(), "name": "nil"}, 400, "id"},
			{map[string]any{"id": "not-a-uuid", "name": "x"}, 400, "id"},
			{map[string]any{"id": "123456781234123412341234567890ab", "name": "x"}, 400, "id"},
			{map[string]any{"name": "x", "ref": "87654321-4321-4321-4321-210987654321"}, 400, "ref"},
		} {
			r := s.Do("POST", "/v1/admin/tenants", s.AdminKey, tc.body)
			var eb errorBody
			r.JSON(t, &eb)
			if r.Status != tc.status || eb.Error.Field != tc.field {
				t.Errorf("%v: %d %s, want %d on %s", tc.body, r.Status, r.Body, tc.status, tc.field)
			}
			if tc.field == "ref" && !strings.Contains(eb.Error.Message, "as its id") {
				t.Errorf("a UUID ref's error does not point to id: %s", r.Body)
			}
		}
	})
}
