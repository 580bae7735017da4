package frankieone_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// The events of the parameter tests, by name; ids end in their number.
const (
	e1 = "00000000-0000-7000-8000-000000000001"
	e2 = "00000000-0000-7000-8000-000000000002"
	e3 = "00000000-0000-7000-8000-000000000003"
	e4 = "00000000-0000-7000-8000-000000000004"
	e5 = "00000000-0000-7000-8000-000000000005"
	e6 = "00000000-0000-7000-8000-000000000006"
)

// paramFixture holds six varied events of customer cust-c (e2 and e4 in its
// child cust-c1) and one of cust-d, which cust-c's key never sees.
func paramFixture(t *testing.T, engine string) *fixture {
	f := newFixture(t, engine, [][2]string{{"cust-c", ""}, {"cust-c1", "cust-c"}, {"cust-d", ""}})
	f.Ingest(f.Writer,
		map[string]any{"uuid": e1, "tenant": "cust-c", "occurred_at": "2024-06-01T10:00:00Z", "action": "ENTITY_CREATE",
			"subject": map[string]any{"type": "INDIVIDUAL", "id": "ent-1"}, "labels": map[string]any{"workflow_name": "WF_A", "risk_level": "LOW"},
			"source": "svc-a", "channel": "API", "request_id": "req-1"},
		map[string]any{"uuid": e2, "tenant": "cust-c1", "occurred_at": "2024-06-01T12:00:00.5Z", "action": "ENTITY_UPDATE",
			"subject": map[string]any{"type": "INDIVIDUAL", "id": "ent-2"}, "labels": map[string]any{"workflow_name": "WF_B", "risk_level": "HIGH"},
			"source": "svc-b", "channel": "PORTAL", "request_id": "req-2"},
		map[string]any{"uuid": e3, "tenant": "cust-c", "occurred_at": "2024-06-02T00:00:00Z", "action": "lookup"},
		map[string]any{"uuid": e4, "tenant": "cust-c1", "occurred_at": "2024-06-02T23:59:59.999999Z", "action": "WORKFLOW_COMPLETE",
			"subject": map[string]any{"type": "INDIVIDUAL", "id": "ent-1"}, "labels": map[string]any{"workflow_name": "WF_A", "risk_level": "MEDIUM"},
			"source": "svc-a", "channel": "ONESDK", "request_id": "req-1"},
		map[string]any{"uuid": e5, "tenant": "cust-c", "occurred_at": "2024-06-03T08:00:00Z", "action": "RISK_OVERRIDE",
			"subject": map[string]any{"type": "ORGANIZATION", "id": "ent-3"}, "labels": map[string]any{"workflow_name": "safe_harbour_1+1", "risk_level": "UNACCEPTABLE"},
			"source": "auditkeep", "channel": "SYSTEM"},
		map[string]any{"uuid": e6, "tenant": "cust-c", "occurred_at": "2024-06-03T09:00:00Z", "action": "lookup", "channel": "web", "source": "svc-b"},
		map[string]any{"tenant": "cust-d", "occurred_at": "2024-06-02T12:00:00Z", "action": "ENTITY_CREATE", "source": "svc-a", "channel": "API",
			"subject": map[string]any{"type": "INDIVIDUAL", "id": "ent-1"}, "request_id": "req-1"},
	)
	return f
}

func TestParameters(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := paramFixture(t, engine)
		key := f.Keys["cust-c"]
		all := []string{e6, e5, e4, e3, e2, e1}
		tests := []struct {
			name  string
			query string
			want  []string
		}{
			{"no parameters: newest first", "", all},
			{"sort desc", "sort=desc", all},
			{"sort asc", "sort=asc", []string{e1, e2, e3, e4, e5, e6}},
			{"sortFields timestamp", "sortFields=timestamp&sort=asc", []string{e1, e2, e3, e4, e5, e6}},
			{"sortFields[] timestamp", "sortFields[]=timestamp", all},
			{"entityId", "entityId=ent-1", []string{e4, e1}},
			{"entityId unknown", "entityId=ent-9", []string{}},
			{"workflowNames one", "workflowNames=WF_A", []string{e4, e1}},
			{"workflowNames repeated", "workflowNames=WF_A&workflowNames=WF_B", []string{e4, e2, e1}},
			{"workflowNames[]", "workflowNames[]=WF_B", []string{e2}},
			{"workflowNames both spellings", "workflowNames=WF_B&workflowNames[]=WF_A", []string{e4, e2, e1}},
			{"workflowNames with a plus", "workflowNames=safe_harbour_1%2B1", []string{e5}},
			{"workflowRiskLevels", "workflowRiskLevels=LOW&workflowRiskLevels=HIGH", []string{e2, e1}},
			{"workflowRiskLevels UNACCEPTABLE", "workflowRiskLevels=UNACCEPTABLE", []string{e5}},
			{"sources", "sources=svc-a", []string{e4, e1}},
			{"sources default also finds events without one", "sources=auditkeep", []string{e5, e3}},
			{"sources two", "sources=svc-b&sources[]=svc-a", []string{e6, e4, e2, e1}},
			{"requestId", "requestId=req-1", []string{e4, e1}},
			{"afterTimestamp date: from the start of the day", "afterTimestamp=2024-06-02", []string{e6, e5, e4, e3}},
			{"beforeTimestamp date: through the end of the day", "beforeTimestamp=2024-06-02", []string{e4, e3, e2, e1}},
			{"one day", "afterTimestamp=2024-06-02&beforeTimestamp=2024-06-02", []string{e4, e3}},
			{"afterTimestamp is inclusive", "afterTimestamp=2024-06-01T12:00:00.5Z", []string{e6, e5, e4, e3, e2}},
			{"beforeTimestamp is inclusive", "beforeTimestamp=2024-06-01T12:00:00.5Z", []string{e2, e1}},
			{"beforeTimestamp below a microsecond", "beforeTimestamp=2024-06-01T12:00:00.4999999Z", []string{e1}},
			{"afterTimestamp below a microsecond rounds up", "afterTimestamp=2024-06-01T12:00:00.4999999Z", []string{e6, e5, e4, e3, e2}},
			{"afterTimestamp with an offset", "afterTimestamp=2024-06-01T14:00:00.5%2B02:00", []string{e6, e5, e4, e3, e2}},
			{"same instant both ends", "afterTimestamp=2024-06-03T08:00:00Z&beforeTimestamp=2024-06-03T08:00:00Z", []string{e5}},
			{"channels", "channels=API", []string{e1}},
			{"channels two", "channels=API&channels[]=PORTAL", []string{e2, e1}},
			{"channels SYSTEM finds events without a channel", "channels=SYSTEM", []string{e5, e3}},
			{"channels ONESDK", "channels=ONESDK", []string{e4}},
			{"filters combine", "entityId=ent-1&channels=ONESDK&sources=svc-a", []string{e4}},
			{"limit", "limit=2", []string{e6, e5}},
			{"limit and page", "limit=2&page=3", []string{e2, e1}},
			{"page past the end", "limit=2&page=4", []string{}},
			{"limit 100", "limit=100", all},
			{"empty values are absent", "limit=&page=&entityId=&sort=&channels=", all},
			{"unknown parameters are ignored", "foo=bar&customerId=cust-d", all},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				a := f.list(t, key, "cust-c", tc.query)
				if diff := cmp.Diff(tc.want, eventIDs(a)); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
				if a.Meta.Count != len(a.Events) {
					t.Errorf("count %d, %d events", a.Meta.Count, len(a.Events))
				}
			})
		}
	})
}

func TestMeta(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := paramFixture(t, engine)
		key := f.Keys["cust-c"]
		tests := []struct {
			query                    string
			page, limit, count       int
			total                    int64
			sort                     string
			ids                      []string
			customer, child, channel string
		}{
			{query: "", page: 1, limit: 20, count: 6, total: 6, sort: "desc"},
			{query: "limit=4&page=2&sort=asc", page: 2, limit: 4, count: 2, total: 6, sort: "asc"},
			{query: "limit=4&page=9", page: 9, limit: 4, count: 0, total: 6, sort: "desc"},
			{query: "entityId=ent-1&limit=1", page: 1, limit: 1, count: 1, total: 2, sort: "desc"},
			{query: "", page: 1, limit: 20, count: 2, total: 2, sort: "desc", child: "cust-c1", ids: []string{e4, e2}},
			{query: "", page: 1, limit: 20, count: 2, total: 2, sort: "desc", child: f.Tenants["cust-c1"].ID.String(), customer: f.Tenants["cust-c"].ID.String()},
			{query: "", page: 1, limit: 20, count: 6, total: 6, sort: "desc", channel: strings.Repeat("ä", 300)},
		}
		for _, tc := range tests {
			customer := tc.customer
			if customer == "" {
				customer = "cust-c"
			}
			var h []string
			if tc.child != "" {
				h = append(h, "X-Frankie-CustomerChildID", tc.child)
			}
			if tc.channel != "" {
				h = append(h, "X-Frankie-Channel", tc.channel)
			}
			a := f.list(t, key, customer, tc.query, h...)
			m := a.Meta
			if m.Page != tc.page || m.Limit != tc.limit || m.Count != tc.count || m.Total != tc.total || m.Sort != tc.sort ||
				!cmp.Equal(m.SortFields, []string{"createdAt"}) || len(a.Events) != tc.count {
				t.Errorf("%q child %q: meta %+v with %d events, want page %d limit %d count %d total %d sort %s",
					tc.query, tc.child, m, len(a.Events), tc.page, tc.limit, tc.count, tc.total, tc.sort)
			}
			if tc.ids != nil && !cmp.Equal(eventIDs(a), tc.ids) {
				t.Errorf("child %q: events %v, want %v", tc.child, eventIDs(a), tc.ids)
			}
		}
	})
}

func TestParameterErrors(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := paramFixture(t, engine)
		key := f.Keys["cust-c"]
		tests := []struct {
			name  string
			query string
			want  []string // issue locations, in order
		}{
			{"limit 0", "limit=0", []string{"VALIDATE-limit"}},
			{"limit 101", "limit=101", []string{"VALIDATE-limit"}},
			{"limit negative", "limit=-1", []string{"VALIDATE-limit"}},
			{"limit not a number", "limit=ten", []string{"VALIDATE-limit"}},
			{"limit fraction", "limit=1.5", []string{"VALIDATE-limit"}},
			{"limit twice", "limit=1&limit=2", []string{"VALIDATE-limit"}},
			{"page 0", "page=0", []string{"VALIDATE-page"}},
			{"page negative", "page=-3", []string{"VALIDATE-page"}},
			{"page huge", "page=99999999999999999999", []string{"VALIDATE-page"}},
			{"sort", "sort=ASC", []string{"VALIDATE-sort"}},
			{"sort twice", "sort=asc&sort=desc", []string{"VALIDATE-sort"}},
			{"sortFields", "sortFields=createdAt", []string{"VALIDATE-sortFields"}},
			{"sortFields[] mixed", "sortFields[]=timestamp&sortFields[]=updatedAt", []string{"VALIDATE-sortFields"}},
			{"channels lower case", "channels=api", []string{"VALIDATE-channels"}},
			{"channels unknown", "channels=API&channels=SMS", []string{"VALIDATE-channels"}},
			{"workflowRiskLevels", "workflowRiskLevels=SEVERE", []string{"VALIDATE-workflowRiskLevels"}},
			{"afterTimestamp", "afterTimestamp=12/06/2024", []string{"VALIDATE-afterTimestamp"}},
			{"beforeTimestamp without zone", "beforeTimestamp=2024-06-12T09:14:33", []string{"VALIDATE-beforeTimestamp"}},
			{"beforeTimestamp no such day", "beforeTimestamp=2024-02-30", []string{"VALIDATE-beforeTimestamp"}},
			{"after later than before", "afterTimestamp=2024-06-03&beforeTimestamp=2024-06-02", []string{"VALIDATE-beforeTimestamp"}},
			{"entityId twice", "entityId=a&entityId=b", []string{"VALIDATE-entityId"}},
			{"requestId twice", "requestId=a&requestId=b", []string{"VALIDATE-requestId"}},
			{"entityId NUL", "entityId=a%00b", []string{"VALIDATE-entityId"}},
			{"sources not UTF-8", "sources=%ff%fe", []string{"VALIDATE-sources"}},
			{"workflowNames too long", "workflowNames=" + strings.Repeat("w", 1025), []string{"VALIDATE-workflowNames"}},
			{"too many sources", "sources=" + strings.Repeat("x&sources=", 100) + "y", []string{"VALIDATE-sources"}},
			{"too many sources, some as sources[]", strings.Repeat("sources[]=x&", 50) + strings.Repeat("sources=y&", 51), []string{"VALIDATE-sources"}},
			{"limit twice, once empty", "limit=&limit=2", []string{"VALIDATE-limit"}},
			{"entityId twice, once empty", "entityId=a&entityId=", []string{"VALIDATE-entityId"}},
			{"bad escape", "entityId=%zz", []string{"VALIDATE-entityId"}},
			{"bad escape in a name", "entityId%zz=a", []string{"VALIDATE-entityId%zz"}},
			{"bad escape in an unknown parameter", "utm=%zz&limit=1", []string{"VALIDATE-utm"}},
			{"semicolon", "limit=1;page=2", []string{"VALIDATE-limit"}},
			{"semicolon in an unknown parameter", "utm=x;entityId=ent-1", []string{"VALIDATE-utm"}},
			{"NUL in a name", "entityId%00=a", []string{"VALIDATE-entityId%00"}},
			{"too many parameters", strings.Repeat("x=1&", 256) + "entityId=a", []string{"VALIDATE-entityId"}},
			{"query too long", "x=" + strings.Repeat("1", 16<<10), []string{"VALIDATE-query"}},
			{"requestId lone surrogate", "requestId=%ED%A0%80", []string{"VALIDATE-requestId"}},
			{"workflowNames invalid UTF-8", "workflowNames=WF_A&workflowNames=%C3", []string{"VALIDATE-workflowNames"}},
			{"every problem at once", "entityId=a&workflowRiskLevels=x&afterTimestamp=x&channels=x&sort=x&sortFields=x&page=0&limit=0",
				[]string{"VALIDATE-workflowRiskLevels", "VALIDATE-afterTimestamp", "VALIDATE-channels",
					"VALIDATE-sort", "VALIDATE-sortFields", "VALIDATE-page", "VALIDATE-limit"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := f.get(key, "cust-c", tc.query)
				compattest.NoStoreText(t, r.Body)
				if r.Status != 400 {
					t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
				}
				var e errorAnswer
				compattest.DecodeStrict(t, r.Body, &e)
				if e.ErrorCode != "API-0400" || e.ErrorMsg != "Multiple Errors: See Issues list" || e.HTTPStatusCode != 400 || !ulidPattern.MatchString(e.RequestID) {
					t.Errorf("error object %+v", e)
				}
				if diff := cmp.Diff(tc.want, e.locations()); diff != "" {
					t.Errorf("issue locations (-want +got):\n%s", diff)
				}
				for _, d := range e.Details {
					if d.Issue == "" || d.IssueType != "INVALID" {
						t.Errorf("detail %+v", d)
					}
				}
			})
		}
	})
}

// TestFilterBounds checks the filter counts at their bounds on both
// engines: the largest request is answered (never a database's "too many
// SQL variables" or "expression tree too large"), one value more is a 400
// naming the parameter that passed the bound.
func TestFilterBounds(t *testing.T) {
	many := func(name, first string, n int) string {
		vs := []string{name + "=" + first}
		for i := 1; i < n; i++ {
			vs = append(vs, fmt.Sprintf("%s=v%03d", name, i))
		}
		return strings.Join(vs, "&")
	}
	levels := "workflowRiskLevels=UNKNOWN&workflowRiskLevels=LOW&workflowRiskLevels=MEDIUM&workflowRiskLevels=HIGH&workflowRiskLevels=UNACCEPTABLE"
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := paramFixture(t, engine)
		key := f.Keys["cust-c"]
		tests := []struct {
			name  string
			query string
			want  []string // events (200), nil for a 400
			issue string   // the issue location of a 400
		}{
			{"workflowNames at the label bound", many("workflowNames", "WF_A", 64), []string{e4, e1}, ""},
			{"workflowNames past it", many("workflowNames", "WF_A", 65), nil, "VALIDATE-workflowNames"},
			{"labels together at the bound", many("workflowNames", "WF_A", 59) + "&" + levels, []string{e4, e1}, ""},
			{"labels together past it", many("workflowNames", "WF_A", 60) + "&" + levels, nil, "VALIDATE-workflowRiskLevels"},
			{"sources at their bound", many("sources", "svc-b", 100), []string{e6, e2}, ""},
			{"sources past it", many("sources", "svc-b", 101), nil, "VALIDATE-sources"},
			{"every filter at the total bound", "entityId=ent-1&requestId=req-1&" + many("workflowNames", "WF_A", 62) + "&" + many("sources", "svc-a", 64), []string{e4, e1}, ""},
			{"one filter value past the total", "entityId=ent-1&requestId=req-1&" + many("workflowNames", "WF_A", 62) + "&" + many("sources", "svc-a", 64) + "&channels=API", nil, "VALIDATE-channels"},
			{"empty values do not count", many("workflowNames", "WF_A", 64) + strings.Repeat("&workflowNames=", 30), []string{e4, e1}, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				if tc.want != nil {
					a := f.list(t, key, "cust-c", tc.query)
					if d := cmp.Diff(tc.want, eventIDs(a)); d != "" {
						t.Errorf("events (-want +got):\n%s", d)
					}
					return
				}
				r := f.get(key, "cust-c", tc.query)
				compattest.NoStoreText(t, r.Body)
				if r.Status != 400 {
					t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
				}
				var e errorAnswer
				compattest.DecodeStrict(t, r.Body, &e)
				if d := cmp.Diff([]string{tc.issue}, e.locations()); d != "" {
					t.Errorf("issue locations (-want +got):\n%s", d)
				}
			})
		}
	})
}

func TestAuthentication(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := paramFixture(t, engine)
		vendorScope := f.Key(f.Tenants["cust-c"].ID, "audit_logs_read", "kyc:read")
		writeOnly := f.Key(f.Tenants["cust-c"].ID, "events:write")
		elsewhere := f.AllowedKey("cust-c", []string{"10.0.0.0/8"}, "events:read")
		here := f.AllowedKey("cust-c", []string{"127.0.0.1"}, "events:read")
		revoked := f.RevokedKey("cust-c", "events:read")
		key := f.Keys["cust-c"]
		tests := []struct {
			name    string
			headers []string
			status  int
			code    string
		}{
			{"api_key", []string{"api_key", key}, 200, ""},
			{"Bearer", []string{"Authorization", "Bearer " + key}, 200, ""},
			{"api_key wins over Bearer", []string{"api_key", key, "Authorization", "Bearer nonsense"}, 200, ""},
			{"no key", nil, 401, "AUTH-0401"},
			{"empty api_key", []string{"api_key", "  "}, 401, "AUTH-0401"},
			{"Basic is not a key", []string{"Authorization", "Basic " + key}, 401, "AUTH-0401"},
			{"garbage", []string{"api_key", "nonsense"}, 401, "AUTH-0002"},
			{"unknown key", []string{"api_key", "ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, 401, "AUTH-0002"},
			{"revoked key", []string{"api_key", revoked}, 401, "AUTH-0002"},
			{"vendor scopes only", []string{"api_key", vendorScope}, 401, "AUTH-0002"},
			{"write only", []string{"api_key", writeOnly}, 401, "AUTH-0002"},
			{"allow-list excludes us", []string{"api_key", elsewhere}, 401, "AUTH-0002"},
			{"allow-list includes us", []string{"api_key", here}, 200, ""},
		}
		for _, tc := range tests {
			r := f.get("", "cust-c", "", tc.headers...)
			if r.Status != tc.status {
				t.Errorf("%s: status %d, want %d: %s", tc.name, r.Status, tc.status, r.Body)
				continue
			}
			if tc.code == "" {
				continue
			}
			var e errorAnswer
			compattest.DecodeStrict(t, r.Body, &e)
			if e.ErrorCode != tc.code || e.HTTPStatusCode != 401 || len(e.Details) != 1 {
				t.Errorf("%s: %+v, want %s", tc.name, e, tc.code)
			}
		}
		// The customer header is checked after the key, and a missing one
		// is a parameter error.
		if r := f.get("", "", "", "api_key", "nonsense"); r.Status != 401 {
			t.Errorf("bad key without customer: %d", r.Status)
		}
		r := f.get(key, "", "")
		var e errorAnswer
		compattest.DecodeStrict(t, r.Body, &e)
		if r.Status != 400 || !cmp.Equal(e.locations(), []string{"VALIDATE-X-Frankie-CustomerID"}) || e.Details[0].IssueType != "REQUIRED" {
			t.Errorf("no customer: %d %s", r.Status, r.Body)
		}
	})
}
