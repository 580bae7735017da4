package moyasar_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// The entries of the parameter tests; ids end in their number.
const (
	m01 = "00000000-0000-7000-8000-000000000001"
	m02 = "00000000-0000-7000-8000-000000000002"
	m03 = "00000000-0000-7000-8000-000000000003"
	m04 = "00000000-0000-7000-8000-000000000004"
	m05 = "00000000-0000-7000-8000-000000000005"
	m06 = "00000000-0000-7000-8000-000000000006"

	user1   = "0191f5a7-3d99-7f81-b7ec-00000000000a"
	target1 = "0191f5a7-3d99-7f81-b7ec-0000000000b1"
)

// paramFixture: acquirer acq with merchants m1 and m2 (six entries between
// them), and acquirer acq-b with merchant mb1, whose entries acq's key
// never sees.
func paramFixture(t *testing.T, engine string) *fixture {
	f := newFixture(t, engine, nil)
	f.Add("acq", "Acme Acquiring", "acquirer", "")
	f.Add("m1", "Blue Bottle Café", "merchant", "acq")
	f.Add("m2", "Corner Shop", "merchant", "acq")
	f.Add("acq-b", "Other Acquirer", "acquirer", "")
	f.Add("mb1", "Other Café", "merchant", "acq-b")
	actor := func(typ, id, email string) map[string]any {
		return map[string]any{"type": typ, "id": id, "email": email}
	}
	target := func(typ, id string) []map[string]any { return []map[string]any{{"type": typ, "id": id}} }
	f.Ingest(f.Writer,
		map[string]any{"uuid": m01, "tenant": "acq", "occurred_at": "2025-01-10T10:00:00Z", "actor": actor("AcquirerUser", user1, "Alice@Acq.example"),
			"targets": target("Merchant", target1), "action": "create", "session_id": "s-1"},
		map[string]any{"uuid": m02, "tenant": "m1", "occurred_at": "2025-01-10T11:00:00Z", "actor": actor("MerchantUser", "0191f5a7-3d99-7f81-b7ec-00000000000b", "bob@m1.example"),
			"targets": target("Order", "0191f5a7-3d99-7f81-b7ec-0000000000b2"), "action": "update"},
		map[string]any{"uuid": m03, "tenant": "m2", "occurred_at": "2025-01-10T12:00:00Z", "actor": actor("ApiKey", "0191f5a7-3d99-7f81-b7ec-00000000000c", ""),
			"targets": target("OrderItem", "0191f5a7-3d99-7f81-b7ec-0000000000b3"), "action": "show", "action_type": "passive"},
		map[string]any{"uuid": m04, "tenant": "m1", "occurred_at": "2025-01-11T00:00:00Z", "actor": actor("StaffUser", strings.ToUpper(user1), ""),
			"targets": target("Payment", target1), "action": "index", "action_type": "passive"},
		map[string]any{"uuid": m05, "tenant": "acq", "occurred_at": "2025-01-11T23:59:59.999999Z", "actor": actor("AcquirerApiKey", "0191f5a7-3d99-7f81-b7ec-00000000000d", ""),
			"targets": target("Merchant", "0191f5a7-3d99-7f81-b7ec-0000000000b4"), "action": "create_bulk"},
		map[string]any{"uuid": m06, "tenant": "m2", "occurred_at": "2025-01-12T08:00:00Z", "actor": actor("user", "u-5", "ops@m2.example"), "action": "destroy"},
		map[string]any{"tenant": "mb1", "occurred_at": "2025-01-11T08:00:00Z", "actor": actor("AcquirerUser", user1, "alice@acq.example"),
			"targets": target("Merchant", target1), "action": "create"},
	)
	return f
}

func TestParameters(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := paramFixture(t, engine)
		all := []string{m06, m05, m04, m03, m02, m01}
		tests := []struct {
			name  string
			query string
			want  []string
		}{
			{"no parameters: newest first", "", all},
			{"sort[dir] asc", "sort[dir]=asc", []string{m01, m02, m03, m04, m05, m06}},
			{"sort[field] created_at", "sort[field]=created_at", all},
			{"brackets percent-encoded", "sort%5Bdir%5D=asc", []string{m01, m02, m03, m04, m05, m06}},
			{"sort by performer_type asc: byte order, ties by id", "sort[field]=performer_type&sort[dir]=asc", []string{m05, m01, m03, m02, m04, m06}},
			{"sort by performer_type desc", "sort[field]=performer_type", []string{m06, m04, m02, m03, m01, m05}},
			{"sort by subject_type asc", "sort[field]=subject_type&sort[dir]=asc", []string{m06, m01, m05, m02, m03, m04}},
			{"sort by action_type desc", "sort[field]=action_type&sort[dir]=desc", []string{m04, m03, m06, m05, m02, m01}},
			{"performer_id", "performer_id=" + user1, []string{m01}},
			{"performer_id in capitals also matches the canonical spelling", "performer_id=" + strings.ToUpper(user1), []string{m04, m01}},
			{"performer_type", "performer_type=MerchantUser", []string{m02}},
			{"performer_type AcquirerApiKey", "performer_type=AcquirerApiKey", []string{m05}},
			{"performer_email ignores case", "performer_email=ALICE", []string{m01}},
			{"performer_email is a substring", "performer_email=.example", []string{m06, m02, m01}},
			{"performer_email wildcards are literal", "performer_email=%25", []string{}},
			{"performer_email underscore is literal", "performer_email=_", []string{}},
			{"subject_type is a prefix", "subject_type=Order", []string{m03, m02}},
			{"subject_type is case-sensitive", "subject_type=order", []string{}},
			{"subject_type whole", "subject_type=Merchant", []string{m05, m01}},
			{"subject_id", "subject_id=" + target1, []string{m04, m01}},
			{"organization_type Acquirer", "organization_type=Acquirer", []string{m05, m01}},
			{"organization_type Merchant", "organization_type=Merchant", []string{m06, m04, m03, m02}},
			{"organization_name ignores case", "organization_name=CAF%C3%A9", []string{m04, m02}},
			{"organization_name substring", "organization_name=acq", []string{m05, m01}},
			{"organization_name of another acquirer's merchant", "organization_name=Other", []string{}},
			{"action_type passive", "action_type=passive", []string{m04, m03}},
			{"action_type active", "action_type=active", []string{m06, m05, m02, m01}},
			{"action_name is a prefix", "action_name=create", []string{m05, m01}},
			{"created_at[gte] date: from the start of the day", "created_at[gte]=2025-01-11", []string{m06, m05, m04}},
			{"created_at[lte] date: through the end of the day", "created_at[lte]=2025-01-11", []string{m05, m04, m03, m02, m01}},
			{"one day", "created_at[gte]=2025-01-11&created_at[lte]=2025-01-11", []string{m05, m04}},
			{"created_at[gte] is inclusive", "created_at[gte]=2025-01-10T12:00:00Z", []string{m06, m05, m04, m03}},
			{"created_at[lte] is inclusive", "created_at[lte]=2025-01-10T12:00:00Z", []string{m03, m02, m01}},
			{"created_at with an offset", "created_at[lte]=2025-01-10T13:00:00%2B01:00", []string{m03, m02, m01}},
			{"created_at[lte] keeps microseconds", "created_at[lte]=2025-01-11T23:59:59.999998Z", []string{m04, m03, m02, m01}},
			{"an empty range", "created_at[gte]=2025-01-12&created_at[lte]=2025-01-10", []string{}},
			{"filters combine", "organization_type=Merchant&action_type=passive&subject_type=Pay", []string{m04}},
			{"items", "items=2", []string{m06, m05}},
			{"items and page", "items=2&page=3", []string{m02, m01}},
			{"page past the end", "items=2&page=4", []string{}},
			{"items 100", "items=100", all},
			{"empty values are absent", "items=&page=&performer_type=&sort[dir]=", all},
			{"unknown parameters are ignored", "per_page=1&tenant=acq-b", all},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				a := f.list(t, f.Keys["acq"], tc.query)
				if diff := cmp.Diff(tc.want, entryIDs(a)); diff != "" {
					t.Errorf("entries (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// TestPrefixLastCharacter checks the prefix parameters with values whose
// last character ends the prefix range awkwardly: U+007F, and characters
// whose UTF-8 ends in the byte 0xBF ("¿", "😿"). Incrementing the last byte
// leaves UTF-8 there, which PostgreSQL once refused; they now match like
// any other prefix, on both engines. Each entry's action and subject type
// are the same value.
func TestPrefixLastCharacter(t *testing.T) {
	values := []string{
		"a", "a\u007f", "a\u007fz", "a\u0080",
		"¿", "¿x", "¿\U0010FFFF", "À", // U+00C0 follows U+00BF
		"Or¿", "Or¿der", "OrÀ",
		"😿", "😿!", "🙀", // U+1F640 follows U+1F63F
		"create\u007f", "create\u007f_bulk", "create\u0080",
	}
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, []node{{"acq", "acquirer", ""}})
		ids := make([]string, len(values))
		for i, v := range values {
			ids[i] = fmt.Sprintf("00000000-0000-7000-8000-%012d", i+1)
			f.Ingest(f.Writer, map[string]any{
				"uuid": ids[i], "tenant": "acq", "occurred_at": fmt.Sprintf("2025-01-10T10:%02d:00Z", i),
				"targets": []map[string]any{{"type": v, "id": "t-1"}}, "action": v,
			})
		}
		for _, p := range []string{"a\u007f", "¿", "Or¿", "😿", "create\u007f", "\u007f", "ÿ"} {
			want := []string{}
			for i, v := range values {
				if strings.HasPrefix(v, p) {
					want = append(want, ids[i])
				}
			}
			for _, param := range []string{"action_name", "subject_type"} {
				q := param + "=" + url.QueryEscape(p) + "&sort[dir]=asc&items=100"
				a := f.list(t, f.Keys["acq"], q)
				if diff := cmp.Diff(want, entryIDs(a)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", q, diff)
				}
			}
		}
	})
}

func TestPagination(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := paramFixture(t, engine)
		ptr := func(n int) *int { return &n }
		tests := []struct {
			query      string
			current    int
			next, prev *int
			n          int
		}{
			{"", 1, nil, nil, 6},
			{"items=2", 1, ptr(2), nil, 2},
			{"items=2&page=2", 2, ptr(3), ptr(1), 2},
			{"items=2&page=3", 3, nil, ptr(2), 2},
			{"items=2&page=4", 4, nil, nil, 0},
			{"items=4&page=2", 2, nil, ptr(1), 2},
			{"items=6", 1, nil, nil, 6},
			{"items=5", 1, ptr(2), nil, 5},
			{"performer_type=StaffUser&page=1", 1, nil, nil, 1},
			{"performer_type=StaffUser&page=2", 2, nil, nil, 0},
		}
		for _, tc := range tests {
			a := f.list(t, f.Keys["acq"], tc.query)
			m := a.Meta
			if m.CurrentPage != tc.current || !cmp.Equal(m.NextPage, tc.next) || !cmp.Equal(m.PrevPage, tc.prev) || len(a.AuditLogs) != tc.n {
				t.Errorf("%q: meta %d %v %v with %d entries, want %d %v %v with %d", tc.query,
					m.CurrentPage, deref(m.NextPage), deref(m.PrevPage), len(a.AuditLogs), tc.current, deref(tc.next), deref(tc.prev), tc.n)
			}
		}
	})
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestParameterErrors(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := paramFixture(t, engine)
		tests := []struct {
			name  string
			query string
			want  []string // parameters named in errors
		}{
			{"page 0", "page=0", []string{"page"}},
			{"page negative", "page=-1", []string{"page"}},
			{"page word", "page=two", []string{"page"}},
			{"page huge", "page=3000000000", []string{"page"}},
			{"items 0", "items=0", []string{"items"}},
			{"items 101", "items=101", []string{"items"}},
			{"items fraction", "items=1.5", []string{"items"}},
			{"items twice", "items=1&items=2", []string{"items"}},
			{"performer_id not a uuid", "performer_id=42", []string{"performer_id"}},
			{"performer_id without dashes", "performer_id=0191f5a73d997f81b7ec962a5f5fdd7c", []string{"performer_id"}},
			{"performer_type", "performer_type=Robot", []string{"performer_type"}},
			{"performer_type lower case", "performer_type=apikey", []string{"performer_type"}},
			{"subject_id", "subject_id=x", []string{"subject_id"}},
			{"organization_type lower case", "organization_type=acquirer", []string{"organization_type"}},
			{"action_type", "action_type=ACTIVE", []string{"action_type"}},
			{"created_at[gte]", "created_at[gte]=2025-13-01", []string{"created_at[gte]"}},
			{"created_at[lte] without zone", "created_at[lte]=2025-01-10T10:00:00", []string{"created_at[lte]"}},
			{"sort[field]", "sort[field]=id", []string{"sort[field]"}},
			{"sort[dir]", "sort[dir]=DESC", []string{"sort[dir]"}},
			{"performer_email NUL", "performer_email=a%00", []string{"performer_email"}},
			{"organization_name not UTF-8", "organization_name=%ff", []string{"organization_name"}},
			{"action_name too long", "action_name=" + strings.Repeat("a", 1025), []string{"action_name"}},
			{"items twice, once empty", "items=&items=2", []string{"items"}},
			{"performer_email twice", "performer_email=a&performer_email=b", []string{"performer_email"}},
			{"bad escape", "items=%zz", []string{"items"}},
			{"bad escape in a name", "action_name%zz=x", []string{"action_name%zz"}},
			{"bad escape in an unknown parameter", "utm_source=%zz", []string{"utm_source"}},
			{"semicolon", "items=1;page=2", []string{"items"}},
			{"semicolon in an unknown parameter", "utm_source=x;items=2", []string{"utm_source"}},
			{"NUL in a name", "action_name%00=x", []string{"action_name%00"}},
			{"too many parameters", strings.Repeat("x=1&", 256) + "items=2", []string{"items"}},
			{"query too long", "x=" + strings.Repeat("1", 16<<10), []string{"query"}},
			{"action_name lone surrogate", "action_name=%ED%A0%80", []string{"action_name"}},
			{"subject_type NUL", "subject_type=payment%00", []string{"subject_type"}},
			{"every problem at once", "page=0&items=0&performer_id=x&performer_type=x&subject_id=x&organization_type=x&action_type=x&created_at[gte]=x&created_at[lte]=x&sort[field]=x&sort[dir]=x",
				[]string{"action_type", "created_at[gte]", "created_at[lte]", "items", "organization_type", "page", "performer_id", "performer_type", "sort[dir]", "sort[field]", "subject_id"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := f.get(f.Keys["acq"], "/v1/audit_logs?"+tc.query)
				compattest.NoStoreText(t, r.Body)
				if r.Status != 422 {
					t.Fatalf("status %d, want 422: %s", r.Status, r.Body)
				}
				var e errorAnswer
				compattest.DecodeStrict(t, r.Body, &e)
				var got []string
				for name, msgs := range e.Errors {
					got = append(got, name)
					if len(msgs) == 0 || msgs[0] == "" {
						t.Errorf("%s without a message", name)
					}
				}
				if e.Message != "Invalid query parameters" {
					t.Errorf("message %q", e.Message)
				}
				if diff := cmp.Diff(tc.want, got, sortStrings); diff != "" {
					t.Errorf("parameters (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestAuthentication(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := paramFixture(t, engine)
		newKey := func(scopes []string, allow []string) string { return f.AllowedKey("acq", allow, scopes...) }
		revoked := f.RevokedKey("acq", "audit_logs_read")
		tests := []struct {
			name    string
			headers []string
			status  int
			message string
		}{
			{"audit_logs_read", []string{"Authorization", "Bearer " + f.Keys["acq"]}, 200, ""},
			{"events:read implies it", []string{"Authorization", "Bearer " + newKey([]string{"events:read"}, nil)}, 200, ""},
			{"lower-case scheme", []string{"Authorization", "bearer " + f.Keys["acq"]}, 200, ""},
			{"allow-list includes us", []string{"Authorization", "Bearer " + newKey([]string{"audit_logs_read"}, []string{"127.0.0.1"})}, 200, ""},
			{"no header", nil, 401, "Missing authentication information"},
			{"Basic", []string{"Authorization", "Basic " + f.Keys["acq"]}, 401, "Missing authentication information"},
			{"empty Bearer", []string{"Authorization", "Bearer "}, 401, "Missing authentication information"},
			{"api_key header is not Moyasar's", []string{"api_key", f.Keys["acq"]}, 401, "Missing authentication information"},
			{"garbage", []string{"Authorization", "Bearer nonsense"}, 401, "Invalid authentication information"},
			{"unknown key", []string{"Authorization", "Bearer ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, 401, "Invalid authentication information"},
			{"revoked key", []string{"Authorization", "Bearer " + revoked}, 401, "Invalid authentication information"},
			{"allow-list excludes us", []string{"Authorization", "Bearer " + newKey([]string{"audit_logs_read"}, []string{"10.0.0.0/8"})}, 401, "Invalid authentication information"},
			{"kyc:read only", []string{"Authorization", "Bearer " + newKey([]string{"kyc:read"}, nil)}, 403, "Unauthorized"},
			{"events:write only", []string{"Authorization", "Bearer " + newKey([]string{"events:write"}, nil)}, 403, "Unauthorized"},
		}
		for _, route := range []string{"/v1/audit_logs", "/v1/audit_logs/" + m01, "/v1/audit_logs/subjects"} {
			for _, tc := range tests {
				r := f.get("", route, tc.headers...)
				if r.Status != tc.status {
					t.Errorf("%s %s: status %d, want %d: %s", route, tc.name, r.Status, tc.status, r.Body)
					continue
				}
				if tc.status == 200 {
					continue
				}
				var e errorAnswer
				compattest.DecodeStrict(t, r.Body, &e)
				if e.Message != tc.message || e.Errors != nil {
					t.Errorf("%s %s: %s, want message %q", route, tc.name, r.Body, tc.message)
				}
				if tc.status == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s %s: 401 without WWW-Authenticate", route, tc.name)
				}
			}
		}
	})
}

func TestGetEntry(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := paramFixture(t, engine)
		key := f.Keys["acq"]
		notFound := f.get(key, "/v1/audit_logs/"+uuid.Must(uuid.NewV7()).String())
		if notFound.Status != 404 || string(notFound.Body) != "{\"message\":\"Not found\"}\n" {
			t.Fatalf("unknown id: %d %s", notFound.Status, notFound.Body)
		}
		var foreign string
		for _, e := range f.list(t, f.Keys["acq-b"], "").AuditLogs {
			foreign = e.ID
		}
		tests := []struct {
			name, path string
			want       string // the entry's id, or "" for the 404
		}{
			{"own entry", "/v1/audit_logs/" + m01, m01},
			{"merchant's entry", "/v1/audit_logs/" + m02, m02},
			{"capital letters", "/v1/audit_logs/" + strings.ToUpper(m03), m03},
			{"another acquirer's entry", "/v1/audit_logs/" + foreign, ""},
			{"not a uuid", "/v1/audit_logs/nope", ""},
			{"numeric id", "/v1/audit_logs/1", ""},
			{"nil uuid", "/v1/audit_logs/" + uuid.Nil.String(), ""},
			{"uuid in braces", "/v1/audit_logs/%7B" + m01 + "%7D", ""},
			{"deeper path", "/v1/audit_logs/" + m01 + "/x", ""},
			{"trailing slash", "/v1/audit_logs/", ""},
		}
		for _, tc := range tests {
			r := f.get(key, tc.path)
			if tc.want == "" {
				if r.Status != 404 || string(r.Body) != string(notFound.Body) {
					t.Errorf("%s: %d %s, want the unknown-id answer", tc.name, r.Status, r.Body)
				}
				continue
			}
			var e entry
			compattest.DecodeStrict(t, r.Body, &e)
			if r.Status != 200 || e.ID != tc.want {
				t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
			}
		}
	})
}

func TestSubjects(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := paramFixture(t, engine)
		f.Add("acq-empty", "Quiet Acquirer", "acquirer", "")
		tests := []struct {
			key  string
			want []string
		}{
			{"acq", []string{"Merchant", "Order", "OrderItem", "Payment"}},
			{"m1", []string{"Order", "Payment"}},
			{"m2", []string{"OrderItem"}},
			{"acq-b", []string{"Merchant"}},
			{"acq-empty", []string{}},
		}
		for _, tc := range tests {
			r := f.get(f.Keys[tc.key], "/v1/audit_logs/subjects")
			if r.Status != 200 {
				t.Errorf("%s: %d %s", tc.key, r.Status, r.Body)
				continue
			}
			var got struct {
				Subjects []string `json:"subjects"`
			}
			compattest.DecodeStrict(t, r.Body, &got)
			if diff := cmp.Diff(tc.want, got.Subjects); diff != "" {
				t.Errorf("%s subjects (-want +got):\n%s", tc.key, diff)
			}
		}
	})
}

// The routes that take no parameters still read their query strings
// strictly: unknown parameters are ignored, one that cannot be read is a
// 422 naming it, as on the list route.
func TestUnreadableQueryOnOtherRoutes(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := paramFixture(t, engine)
		key := f.Keys["acq"]
		for _, path := range []string{"/v1/audit_logs/" + m01, "/v1/audit_logs/subjects"} {
			if r := f.get(key, path+"?utm_source=x"); r.Status != 200 {
				t.Errorf("%s with an unknown parameter: %d %s", path, r.Status, r.Body)
			}
			for q, want := range map[string]string{
				"utm_source=%zz": "utm_source",
				"a=1;b=2":        "a",
				"x%00=1":         "x%00",
			} {
				r := f.get(key, path+"?"+q)
				if r.Status != 422 {
					t.Errorf("%s?%s: %d %s, want 422", path, q, r.Status, r.Body)
					continue
				}
				var e errorAnswer
				compattest.DecodeStrict(t, r.Body, &e)
				if _, ok := e.Errors[want]; !ok || e.Message != "Invalid query parameters" {
					t.Errorf("%s?%s: %s, want an error naming %s", path, q, r.Body, want)
				}
			}
		}
	})
}
