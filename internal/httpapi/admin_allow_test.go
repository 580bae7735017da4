package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// An admin key held to an allow-list grants only addresses inside it: an
// omitted list inherits the creator's, a narrower one is accepted, a wider
// one, one of another family, or an empty one (every address) is a 403
// naming the entry, and nothing is stored. The operator and an admin key
// without a list are not restricted.
func TestAdminGrantsOnlyItsOwnAddresses(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		s.Tenant("shop", "merchant", "shop", s.Root.ID)
		// The test's requests come from 127.0.0.1.
		held, _, err := s.App.Tenants.CreateKey(context.Background(), tenant.NewKey{Tenant: s.Root.ID.String(),
			Scopes: []string{"admin", "events:read"}, AllowIPs: []string{"127.0.0.0/8", "10.1.0.0/16"}})
		if err != nil {
			t.Fatal(err)
		}
		type created struct {
			Key      string
			AllowIPs []string `json:"allow_ips"`
		}
		countKeys := func() int {
			var keys struct{ Keys []struct{ ID string } }
			s.Do("GET", "/v1/admin/keys", s.AdminKey, nil).JSON(t, &keys)
			return len(keys.Keys)
		}
		tests := []struct {
			name   string
			key    string
			body   string
			status int
			field  string
			allow  string // the list created, for a 201
		}{
			{"omitted: inherits the creator's list", held, `{"scopes":["events:read"]}`, 201, "", "127.0.0.0/8 10.1.0.0/16"},
			{"null: inherits the creator's list", held, `{"scopes":["events:read"],"allow_ips":null}`, 201, "", "127.0.0.0/8 10.1.0.0/16"},
			{"omitted for a descendant", held, `{"tenant":"shop","scopes":["events:read"]}`, 201, "", "127.0.0.0/8 10.1.0.0/16"},
			{"the same list", held, `{"scopes":["events:read"],"allow_ips":["10.1.0.0/16","127.0.0.0/8"]}`, 201, "", "10.1.0.0/16 127.0.0.0/8"},
			{"narrower", held, `{"scopes":["events:read"],"allow_ips":["127.0.0.1","10.1.2.0/24"]}`, 201, "", "127.0.0.1/32 10.1.2.0/24"},
			{"mapped, inside once unmapped", held, `{"scopes":["events:read"],"allow_ips":["::ffff:127.0.0.1"]}`, 201, "", "127.0.0.1/32"},
			{"empty: every address", held, `{"scopes":["events:read"],"allow_ips":[]}`, 403, "allow_ips", ""},
			{"wider", held, `{"scopes":["events:read"],"allow_ips":["10.0.0.0/8"]}`, 403, "allow_ips[0]", ""},
			{"one entry outside", held, `{"scopes":["events:read"],"allow_ips":["127.0.0.1","192.0.2.7"]}`, 403, "allow_ips[1]", ""},
			{"overlapping but wider", held, `{"scopes":["events:read"],"allow_ips":["10.1.0.0/15"]}`, 403, "allow_ips[0]", ""},
			{"another family", held, `{"scopes":["events:read"],"allow_ips":["::1"]}`, 403, "allow_ips[0]", ""},
			{"everything, spelled as a CIDR", held, `{"scopes":["events:read"],"allow_ips":["0.0.0.0/0"]}`, 403, "allow_ips[0]", ""},
			{"for a descendant too", held, `{"tenant":"shop","scopes":["events:read"],"allow_ips":[]}`, 403, "allow_ips", ""},
			{"an unrestricted admin key is not restricted", s.AdminKey, `{"scopes":["events:read"]}`, 201, "", ""},
			{"an unrestricted admin key grants any list", s.AdminKey, `{"scopes":["events:read"],"allow_ips":["0.0.0.0/0"]}`, 201, "", "0.0.0.0/0"},
		}
		for _, tc := range tests {
			before := countKeys()
			r := s.Do("POST", "/v1/admin/keys", tc.key, tc.body)
			if r.Status != tc.status {
				t.Errorf("%s: status %d, want %d (%s)", tc.name, r.Status, tc.status, r.Body)
				continue
			}
			if tc.status != 201 {
				var eb errorBody
				r.JSON(t, &eb)
				if eb.Error.Status != tc.status || eb.Error.Field != tc.field || !strings.Contains(eb.Error.Message, "inside its own allow-list (127.0.0.0/8, 10.1.0.0/16)") {
					t.Errorf("%s: error %+v, want one on %s naming the creator's list", tc.name, eb.Error, tc.field)
				}
				if n := countKeys(); n != before {
					t.Errorf("%s: refused, yet %d keys now, %d before", tc.name, n, before)
				}
				continue
			}
			var k created
			r.JSON(t, &k)
			if got := strings.Join(k.AllowIPs, " "); got != tc.allow {
				t.Errorf("%s: allow_ips %q, want %q", tc.name, got, tc.allow)
			}
			// A key allowed from 127.0.0.1 works from here.
			if strings.Contains(tc.allow, "127.0.0.") || tc.allow == "" || tc.allow == "0.0.0.0/0" {
				if r := s.Do("GET", "/v1/events", k.Key, nil); r.Status != 200 {
					t.Errorf("%s: the new key is refused from 127.0.0.1: %d %s", tc.name, r.Status, r.Body)
				}
			}
		}
	})
}
