package httpapi_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpapi"
)

// TestListParams checks GET /v1/events parameter by parameter on both
// engines: each filter selects what it names, and each bad value is a 400
// naming the parameter, never a 500.
func TestListParams(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		m := s.Tenant("Merchant One", "merchant", "m-ref", uuid.Nil)
		c := s.Tenant("Child Shop", "shop", "c-ref", m.ID)
		key := s.Key(m.ID, "events:read", "events:write")
		evs := s.Ingest(key,
			map[string]any{
				"action": "kyc.case.opened", "category": "kyc", "action_type": "active", "status": "success", "level": 1,
				"occurred_at":  "2024-06-12T09:14:33Z",
				"actor":        map[string]any{"type": "user", "id": "u1", "email": "Alice@Example.com"},
				"targets":      []map[string]any{{"type": "kyc_case", "id": "42"}, {"type": "document", "id": "d1"}},
				"subject":      map[string]any{"type": "customer", "id": "c1"},
				"labels":       map[string]any{"workflow_name": "onboarding"},
				"external_ref": "r1", "context": "ctx1", "request_id": "q1", "session_id": "s1", "channel": "api", "source": "web",
			},
			map[string]any{
				"action": "kyc.case.closed", "category": "kyc", "action_type": "passive", "status": "failure", "level": 2,
				"occurred_at": "2024-06-13T00:00:00Z",
				"actor":       map[string]any{"type": "system", "id": "u2", "email": "bob@x.io"},
				"targets":     []map[string]any{{"type": "kyc_case", "id": "43"}},
				"labels":      map[string]any{"workflow_name": "review"},
			},
			map[string]any{
				"action": "payment.refund", "category": "payments", "status": "info", "level": 3,
				"occurred_at": "2024-06-14T00:00:00Z", "tenant": c.ID.String(),
				"actor":   map[string]any{"type": "user", "id": "u1"},
				"targets": []map[string]any{{"type": "payment", "id": "p9"}},
			},
		)
		opened, closed, refund := evs[0].ID, evs[1].ID, evs[2].ID

		for _, tc := range []struct {
			query string
			want  []int64 // ids, in order
		}{
			{"", []int64{refund, closed, opened}},
			{"order=asc", []int64{opened, closed, refund}},
			{"limit=1", []int64{refund}},
			{"count=exact", []int64{refund, closed, opened}},
			{"sort=actor.type&order=asc", []int64{closed, opened, refund}},
			{"sort=target.type&order=desc", []int64{refund, closed, opened}},
			{"sort=action_type&order=asc", []int64{opened, refund, closed}}, // refund defaults to active
			{"sort=occurred_at&order=desc", []int64{refund, closed, opened}},
			{fmt.Sprintf("id=%d&id=%d", opened, refund), []int64{refund, opened}},
			{"uuid=" + evs[1].UUID, []int64{closed}},
			{"category=kyc", []int64{closed, opened}},
			{"action=kyc.case.opened&action=payment.refund", []int64{refund, opened}},
			{"action_prefix=kyc.", []int64{closed, opened}},
			{"action_type=passive", []int64{closed}},
			{"status=failure&status=info", []int64{refund, closed}},
			{"level=1", []int64{opened}},
			{"external_ref=r1", []int64{opened}},
			{"context=ctx1", []int64{opened}},
			{"request_id=q1", []int64{opened}},
			{"session_id=s1", []int64{opened}},
			{"channel=api", []int64{opened}},
			{"source=web", []int64{opened}},
			{"actor.type=user", []int64{refund, opened}},
			{"actor.id=u2", []int64{closed}},
			{"actor.email_contains=example", []int64{opened}},
			{"actor.email_contains=EXAMPLE.COM", []int64{opened}},
			{"subject.type=customer", []int64{opened}},
			{"subject.id=c1", []int64{opened}},
			{"target=document:d1", []int64{opened}},
			{"target=kyc_case:43&target=payment:p9", nil}, // repeated: all must be present
			{"target=kyc_case:42&target=document:d1", []int64{opened}},
			{"target.type=kyc_case", []int64{closed, opened}},
			{"target.id=d1", nil}, // d1 is not the primary target
			{"target.id=42", []int64{opened}},
			{"target.type_prefix=pay", []int64{refund}},
			{"label.workflow_name=review", []int64{closed}},
			{"label.workflow_name=review&label.workflow_name=onboarding", []int64{closed, opened}},
			{"label.nope=x", nil},
			{"occurred_at.gte=2024-06-13T00:00:00Z", []int64{refund, closed}},
			{"occurred_at.gt=2024-06-13T00:00:00Z", []int64{refund}},
			{"occurred_after=2024-06-13T00:00:00Z", []int64{refund}},
			{"occurred_at.lte=2024-06-13T00:00:00Z", []int64{closed, opened}},
			{"occurred_at.lt=2024-06-13T00:00:00Z", []int64{opened}},
			{"occurred_before=2024-06-13T00:00:00Z", []int64{opened}},
			{"occurred_at.gte=2024-06-14T00:00:00Z&occurred_at.lt=2024-06-13T00:00:00Z", nil},
			{"tenant=m-ref", []int64{closed, opened}},
			{"tenant=" + c.ID.String(), []int64{refund}},
			{"tenant=m-ref&tenant.descendants=true", []int64{refund, closed, opened}},
			{"tenant.kind=shop", []int64{refund}},
			{"tenant.name_contains=child", []int64{refund}},
			{"tenant.name_contains=zzz", nil},
			{"action=no.such.action", nil},
			{"action=kyc.case.opened&status=failure", nil},
		} {
			var page struct {
				Events []event.JSON `json:"events"`
				Total  *int64       `json:"total"`
			}
			r := s.Do("GET", "/v1/events?"+tc.query, key, nil)
			if r.Status != 200 {
				t.Errorf("%s: %d %s", tc.query, r.Status, r.Body)
				continue
			}
			r.JSON(t, &page)
			var got []int64
			for _, e := range page.Events {
				got = append(got, e.ID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.query, diff)
			}
			if wantTotal := strings.Contains(tc.query, "count=exact"); wantTotal != (page.Total != nil) {
				t.Errorf("%s: total %v", tc.query, page.Total)
			} else if wantTotal && *page.Total != int64(len(tc.want)) {
				t.Errorf("%s: total %d, want %d", tc.query, *page.Total, len(tc.want))
			}
		}

		bad := []struct{ query, field string }{
			{"nope=1", "nope"},
			{"limit=0", "limit"},
			{"limit=1001", "limit"},
			{"limit=x", "limit"},
			{"limit=1&limit=2", "limit"},
			{"cursor=forged.cursor", "cursor"},
			{"count=approx", "count"},
			{"sort=summary", "sort"},
			{"order=up", "order"},
			{"id=0", "id"},
			{"id=x", "id"},
			{"uuid=123", "uuid"},
			{"action_type=both", "action_type"},
			{"status=ok", "status"},
			{"level=4", "level"},
			{"actor.email_contains=", "actor.email_contains"},
			{"target=kyc_case", "target"},
			{"target=:42", "target"},
			{"label.bad%20key=1", "label.bad key"},
			{"occurred_at.gte=yesterday", "occurred_at.gte"},
			{"occurred_after=2024-13-01T00:00:00Z", "occurred_after"},
			{"occurred_at.lt=2024-06-13", "occurred_at.lt"},
			{"occurred_at.gte=2024-06-13T00:00:00Z&occurred_at.gte=2024-06-14T00:00:00Z", "occurred_at.gte"},
			{"tenant.descendants=maybe", "tenant.descendants"},
			{"tenant.name_contains=", "tenant.name_contains"},
			{"action=" + strings.Repeat("a", 5000), "action"},
		}
		// Every parameter refuses text no stored value can hold.
		for _, name := range httpapi.ListParams() {
			name = strings.Replace(name, "{key}", "workflow_name", 1)
			bad = append(bad,
				struct{ query, field string }{url.QueryEscape(name) + "=%FF%FE", name},
				struct{ query, field string }{url.QueryEscape(name) + "=a%00b", name})
		}
		for _, tc := range bad {
			r := s.Do("GET", "/v1/events?"+tc.query, key, nil)
			var e errorBody
			r.JSON(t, &e)
			if r.Status != 400 || e.Error.Field != tc.field {
				t.Errorf("%.80s: %d %s, want 400 naming %q", tc.query, r.Status, r.Body, tc.field)
			}
		}

		// Tenants the key does not reach select nothing, like missing ones;
		// a parameter naming a tenant never widens the key's reach.
		other := s.Tenant("Other", "merchant", "o-ref", uuid.Nil)
		s.Ingest(s.Key(other.ID, "events:write"), map[string]any{"action": "other.secret"})
		for _, q := range []string{"tenant=o-ref", "tenant=" + other.ID.String(), "tenant.name_contains=other", "action=other.secret"} {
			var page struct{ Events []event.JSON }
			r := s.Do("GET", "/v1/events?"+q, key, nil)
			r.JSON(t, &page)
			if slices.ContainsFunc(page.Events, func(e event.JSON) bool { return e.Tenant == other.ID.String() }) {
				t.Errorf("%s: another tenant's event listed: %s", q, r.Body)
			}
		}
	})
}
