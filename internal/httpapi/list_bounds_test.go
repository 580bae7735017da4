package httpapi_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpapi"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/store/sqlbuild"
)

// listValue is the i-th valid value of a multi-valued GET /v1/events
// parameter.
func listValue(name string, i int) string {
	switch name {
	case "id", "level":
		if name == "level" {
			return strconv.Itoa(1 + i%3)
		}
		return strconv.Itoa(i + 1)
	case "uuid":
		return uuid.NewString()
	case "action_type":
		return []string{"active", "passive"}[i%2]
	case "status":
		return []string{"success", "failure", "info"}[i%3]
	case "target":
		return fmt.Sprintf("kyc_case:%d", i)
	}
	return fmt.Sprintf("v%d", i)
}

// multiParams are the multi-valued parameters of GET /v1/events and how
// many values each takes.
var multiParams = map[string]int{
	"id": httpx.MaxFilterValues, "uuid": httpx.MaxFilterValues, "category": httpx.MaxFilterValues,
	"action": httpx.MaxFilterValues, "action_prefix": httpx.MaxPrefixes, "action_type": httpx.MaxFilterValues,
	"status": httpx.MaxFilterValues, "level": httpx.MaxFilterValues, "external_ref": httpx.MaxFilterValues,
	"context": httpx.MaxFilterValues, "request_id": httpx.MaxFilterValues, "session_id": httpx.MaxFilterValues,
	"channel": httpx.MaxFilterValues, "source": httpx.MaxFilterValues, "actor.type": httpx.MaxFilterValues,
	"actor.id": httpx.MaxFilterValues, "subject.type": httpx.MaxFilterValues, "subject.id": httpx.MaxFilterValues,
	"target": httpx.MaxTargets, "target.type": httpx.MaxFilterValues, "target.id": httpx.MaxFilterValues,
	"target.type_prefix": httpx.MaxPrefixes, "tenant": httpx.MaxFilterValues, "tenant.kind": httpx.MaxFilterValues,
	"label.workflow_name": httpx.MaxLabelValues,
}

func repeatParam(name string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = url.QueryEscape(name) + "=" + url.QueryEscape(listValue(name, i))
	}
	return strings.Join(parts, "&")
}

// TestListFilterBounds sends every multi-valued parameter of GET
// /v1/events at its maximum (answered) and one past it (a 400 naming it),
// on both engines, for a key whose scope is as many tenants as a query
// reads branch by branch, so each filter is repeated in every branch: no
// request reaches the engines' variable or expression-depth limits.
func TestListFilterBounds(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		top := s.Tenant("Top", "acquirer", "top", uuid.Nil)
		for i := range sqlbuild.MaxUnionTenants - 1 {
			s.Tenant(fmt.Sprintf("Shop %d", i), "merchant", fmt.Sprintf("shop-%d", i), top.ID)
		}
		key := s.Key(top.ID, "events:read", "events:write")
		s.Ingest(key, map[string]any{"action": "v1", "labels": map[string]any{"workflow_name": "v1"}})

		ok := func(query string) {
			t.Helper()
			r := s.Do("GET", "/v1/events?"+query, key, nil)
			if r.Status != 200 {
				t.Errorf("%.80s…: %d %s", query, r.Status, r.Body)
			}
		}
		refused := func(query, field string) {
			t.Helper()
			r := s.Do("GET", "/v1/events?"+query, key, nil)
			var e errorBody
			r.JSON(t, &e)
			if r.Status != 400 || e.Error.Field != field {
				t.Errorf("%.80s…: %d %s, want 400 naming %q", query, r.Status, r.Body, field)
			}
		}
		if len(multiParams) != countMulti(httpapi.ListParams()) {
			t.Fatalf("multiParams lists %d parameters; keep it in step with httpapi.ListParams", len(multiParams))
		}
		for name, max := range multiParams {
			ok(repeatParam(name, max) + "&count=exact")
			refused(repeatParam(name, max+1), name)
		}
		// Label keys are bounded, and label values across keys.
		var keys []string
		for i := range httpx.MaxLabelKeys {
			keys = append(keys, repeatParam(fmt.Sprintf("label.k%d", i), httpx.MaxLabelValues/httpx.MaxLabelKeys))
		}
		ok(strings.Join(keys, "&") + "&count=exact")
		refused(strings.Join(keys, "&")+"&label.last=v", "label.last")
		refused(strings.Join(keys, "&")+"&label.k0=more", fmt.Sprintf("label.k%d", httpx.MaxLabelKeys-1))

		// Every filter together: the request with the most SQL each branch
		// can carry (prefixes and targets cost two variables each).
		worst := strings.Join([]string{
			repeatParam("action_prefix", httpx.MaxPrefixes/2),
			repeatParam("target.type_prefix", httpx.MaxPrefixes/2),
			repeatParam("target", httpx.MaxTargets),
			repeatParam("label.workflow_name", httpx.MaxLabelValues/2),
			repeatParam("action", httpx.MaxFilters-httpx.MaxPrefixes-httpx.MaxTargets-httpx.MaxLabelValues/2),
		}, "&")
		ok(worst)
		ok(worst + "&count=exact")
		ok(worst + "&sort=actor.type")
		refused(worst+"&category=x", "category")
		refused(repeatParam("action_prefix", httpx.MaxPrefixes/2)+"&"+repeatParam("target.type_prefix", httpx.MaxPrefixes/2+1), "target.type_prefix")
		refused(repeatParam("action", httpx.MaxFilterValues)+"&"+repeatParam("category", httpx.MaxFilters-httpx.MaxFilterValues+1), "category")
	})
}

func countMulti(names []string) int {
	n := 0
	for _, name := range names {
		switch name {
		case "limit", "cursor", "count", "sort", "order", "actor.email_contains", "tenant.descendants", "tenant.name_contains",
			"occurred_at.gte", "occurred_at.gt", "occurred_after", "occurred_at.lte", "occurred_at.lt", "occurred_before":
		default:
			n++
		}
	}
	return n
}

// TestStrictQuery: every native and admin route parses its query string
// itself; what cannot be parsed, is not known or is repeated is a 400
// naming the parameter, never a filter silently dropped.
func TestStrictQuery(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		evs := s.Ingest(s.AdminKey, map[string]any{"action": "kept"})
		for _, tc := range []struct {
			path, field string
		}{
			{"/v1/events?count=exact&action=nomatch;x", "action"},
			{"/v1/events?action=nomatch&x;y=1", "x;y"},
			{"/v1/events?action=%zz", "action"},
			{"/v1/events?%zz=1", "%zz"},
			{"/v1/events?=x", "query"},
			{"/v1/events?action=a%00", "action"},
			{"/v1/events?action=%C0%AF", "action"},
			{"/v1/events?" + strings.Repeat("action=a&", 300), "action"},
			{"/v1/events?action=" + strings.Repeat("a", 20000), "query"},
			{"/v1/events?limit=5&limit=5", "limit"},
			{"/v1/events/" + evs[0].UUID + "?fields=all", "fields"},
			{"/v1/events/" + evs[0].UUID + "?x;", "x;"},
			{"/v1/admin/tenants?parent=x", "parent"},
			{"/v1/admin/tenants?a=%zz", "a"},
			{"/v1/admin/keys?tenant=a1;", "tenant"},
			{"/v1/admin/keys?tenant=root&tenant=root", "tenant"},
			{"/v1/admin/keys?revoked=true", "revoked"},
		} {
			r := s.Do("GET", tc.path, s.AdminKey, nil)
			var e errorBody
			r.JSON(t, &e)
			if r.Status != 400 || e.Error.Field != tc.field {
				t.Errorf("%.80s: %d %s, want 400 naming %q", tc.path, r.Status, r.Body, tc.field)
			}
		}
		for _, tc := range []struct{ method, path string }{
			{"POST", "/v1/events?dry_run=1"},
			{"POST", "/v1/admin/tenants?dry_run=1"},
			{"POST", "/v1/admin/keys?dry_run=1"},
			{"DELETE", "/v1/admin/keys/" + uuid.NewString() + "?force=1"},
		} {
			r := s.Do(tc.method, tc.path, s.AdminKey, map[string]any{"name": "x"})
			var e errorBody
			r.JSON(t, &e)
			if r.Status != 400 || e.Error.Field != "dry_run" && e.Error.Field != "force" {
				t.Errorf("%s %s: %d %s, want 400 naming the parameter", tc.method, tc.path, r.Status, r.Body)
			}
		}
		if n := s.Count(); n != 1 {
			t.Errorf("%d events stored, want the one ingested before: a refused request wrote", n)
		}
		// A ';' percent-encoded is a value like any other.
		var page struct{ Events []event.JSON }
		r := s.Do("GET", "/v1/events?action=kept%3Bx", s.AdminKey, nil)
		r.JSON(t, &page)
		if r.Status != 200 || len(page.Events) != 0 {
			t.Errorf("action=kept%%3Bx: %d %s, want 200 and no events", r.Status, r.Body)
		}
	})
}

// TestQueryLimitsConfigured: --max-query-params and --max-query-bytes
// bound every surface's query string, the dialects' too.
func TestQueryLimitsConfigured(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, "sqlite", func(c *app.Config) { c.Query = httpx.QueryLimits{MaxParams: 2, MaxBytes: 64} })
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/v1/events?action=a&category=b", 200},
		{"/v1/events?action=a&category=b&status=info", 400},
		{"/v1/events?action=" + strings.Repeat("a", 60), 400},
		{"/v1/ledger/checkpoints?size=1&limit=2&after=3", 400},
		{"/api/audit/records?page=1&pageSize=2", 200},
		{"/api/audit/records?page=1&pageSize=2&category=Cpr", 400},
	} {
		r := s.Do("GET", tc.path, s.AdminKey, nil, "X-Api-Key", s.AdminKey)
		if r.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.path, r.Status, r.Body, tc.status)
		}
	}
}

// BenchmarkFilterBounds times GET /v1/events at its filter bounds for a key
// whose scope is read tenant by tenant (64 tenants), where every filter is
// repeated in each tenant's branch and planning costs the most: the
// targets at their bound, and every bound at once. docs/BENCHMARKS.md,
// "Filter bounds".
func BenchmarkFilterBounds(b *testing.B) {
	for _, engine := range apitest.Engines {
		b.Run(engine, func(b *testing.B) {
			s := apitest.New(b, engine)
			top := s.Tenant("Top", "acquirer", "top", uuid.Nil)
			for i := range sqlbuild.MaxUnionTenants - 1 {
				s.Tenant(fmt.Sprintf("Shop %d", i), "merchant", fmt.Sprintf("shop-%d", i), top.ID)
			}
			key := s.Key(top.ID, "events:read", "events:write")
			s.Ingest(key, map[string]any{"action": "v1", "targets": []map[string]any{{"type": "kyc_case", "id": "0"}}})
			for name, q := range map[string]string{
				"16 targets": repeatParam("target", httpx.MaxTargets),
				"8 targets":  repeatParam("target", 8),
				"8 label keys": func() string {
					var ks []string
					for i := range httpx.MaxLabelKeys {
						ks = append(ks, fmt.Sprintf("label.k%d=v", i))
					}
					return strings.Join(ks, "&")
				}(),
				"every bound": strings.Join([]string{
					repeatParam("action_prefix", httpx.MaxPrefixes/2),
					repeatParam("target.type_prefix", httpx.MaxPrefixes/2),
					repeatParam("target", httpx.MaxTargets),
					repeatParam("label.workflow_name", httpx.MaxLabelValues/2),
					repeatParam("action", httpx.MaxFilters-httpx.MaxPrefixes-httpx.MaxTargets-httpx.MaxLabelValues/2),
				}, "&"),
			} {
				b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
					for b.Loop() {
						if r := s.Do("GET", "/v1/events?"+q, key, nil); r.Status != 200 {
							b.Fatalf("%d %s", r.Status, r.Body)
						}
					}
				})
			}
		})
	}
}
