package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Shape is one main query shape of the engine, whose plan each engine's
// EXPLAIN test checks.
type Shape struct {
	Name  string
	Query store.Query
	Count bool // check the count query instead of the page query
}

// Shapes are the query shapes the APIs send, over the big tenant of
// LoadPlanCorpus and the tenants of a small tree (big, kids).
func Shapes(big uuid.UUID, tree []uuid.UUID) []Shape {
	one := []uuid.UUID{big}
	newest := store.Sort{Desc: true}
	at := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	page := func(f store.Filter) store.Query {
		return store.Query{Tenants: one, Filter: f, Sort: newest, Limit: 51}
	}
	shapes := []Shape{
		{Name: "newest first", Query: page(store.Filter{})},
		{Name: "oldest first", Query: store.Query{Tenants: one, Limit: 51}},
		{Name: "time range", Query: page(store.Filter{OccurredFrom: at, OccurredUntil: at.Add(24 * time.Hour)})},
		{Name: "external_ref (Fortuna)", Query: page(store.Filter{ExternalRefs: []string{"ref-7"}})},
		{Name: "category and operation (Fortuna)", Query: page(store.Filter{Categories: []string{"Rofus"}, Actions: []string{"evaluation"}})},
		{Name: "action", Query: page(store.Filter{Actions: []string{"STATUS_CHANGED"}})},
		{Name: "actions any of", Query: page(store.Filter{Actions: []string{"create", "update"}})},
		{Name: "action prefix (Moyasar)", Query: page(store.Filter{ActionPrefixes: []string{"crea"}})},
		{Name: "has target (Auditply case)", Query: page(store.Filter{Targets: []store.TargetRef{{Type: "kyc_case", ID: "42"}}})},
		{Name: "has target and action (Auditply)", Query: page(store.Filter{Targets: []store.TargetRef{{Type: "kyc_case", ID: "42"}}, Actions: []string{"ANSWER_SAVED"}})},
		{Name: "label (FrankieOne workflow)", Query: page(store.Filter{Labels: map[string][]string{"workflow_name": {"kyc"}}})},
		{Name: "labels any of", Query: page(store.Filter{Labels: map[string][]string{"risk_level": {"LOW", "HIGH"}}})},
		{Name: "subject (FrankieOne entity)", Query: page(store.Filter{SubjectIDs: []string{"ent-3"}})},
		{Name: "request id", Query: page(store.Filter{RequestIDs: []string{"req-5"}})},
		{Name: "session id", Query: page(store.Filter{SessionIDs: []string{"sess-5"}})},
		{Name: "actor id (Moyasar performer)", Query: page(store.Filter{ActorIDs: []string{"u-3"}})},
		{Name: "actor email contains", Query: page(store.Filter{ActorEmailContains: "user3"})},
		{Name: "primary target id (Moyasar subject)", Query: page(store.Filter{PrimaryTargetIDs: []string{"obj-9"}})},
		{Name: "primary target type prefix", Query: page(store.Filter{PrimaryTargetTypePrefixes: []string{"Mer"}})},
		{Name: "channel and source", Query: page(store.Filter{Channels: []string{"API"}, Sources: []string{"portal"}})},
		{Name: "sort by actor type", Query: store.Query{Tenants: one, Sort: store.Sort{Field: store.ByActorType}, Limit: 26}},
		{Name: "sort by target type desc", Query: store.Query{Tenants: one, Sort: store.Sort{Field: store.ByTargetType, Desc: true}, Limit: 26}},
		{Name: "sort by action type, filtered", Query: store.Query{Tenants: one, Sort: store.Sort{Field: store.ByActionType}, Filter: store.Filter{ActionTypes: []string{"active"}}, Limit: 26}},
		{Name: "keyset page", Query: store.Query{Tenants: one, Sort: newest, Limit: 51, After: &store.SortKey{Time: at, ID: 1 << 40}}},
		{Name: "keyset page by actor type", Query: store.Query{Tenants: one, Sort: store.Sort{Field: store.ByActorType}, Limit: 51, After: &store.SortKey{Str: "ApiKey", ID: 10}}},
		{Name: "deep offset page", Query: store.Query{Tenants: one, Sort: newest, Limit: 50, Offset: 5000}},
		{Name: "tenant tree newest first (Moyasar acquirer)", Query: store.Query{Tenants: tree, Sort: newest, Limit: 26}},
		{Name: "tenant tree, offset page", Query: store.Query{Tenants: tree, Sort: newest, Limit: 26, Offset: 100}},
		{Name: "tenant tree, has target", Query: store.Query{Tenants: tree, Sort: newest, Limit: 26, Filter: store.Filter{Targets: []store.TargetRef{{Type: "kyc_case", ID: "42"}}}}},
		{Name: "count external_ref", Query: store.Query{Tenants: one, Filter: store.Filter{ExternalRefs: []string{"ref-7"}}}, Count: true},
		{Name: "count has target", Query: store.Query{Tenants: one, Filter: store.Filter{Targets: []store.TargetRef{{Type: "kyc_case", ID: "42"}}}}, Count: true},
		{Name: "count action", Query: store.Query{Tenants: one, Filter: store.Filter{Actions: []string{"STATUS_CHANGED"}}}, Count: true},
	}
	return shapes
}

// LoadPlanCorpus makes a big tenant with n events and a tree of two small
// ones, enough rows for a planner to prefer indexes, and returns the big
// tenant and the tree.
func LoadPlanCorpus(t *testing.T, st store.Store, n int) (uuid.UUID, []uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	big := NewTenant(t, st, "big", uuid.Nil)
	kidA := NewTenant(t, st, "kid a", big.ID)
	kidB := NewTenant(t, st, "kid b", big.ID)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	actions := []string{"create", "update", "destroy", "STATUS_CHANGED", "ANSWER_SAVED", "evaluation", "lookup"}
	var reqs []store.AppendRequest
	var evs []event.Event
	for i := 0; i < n; i++ {
		tenant := big.ID
		switch i % 10 {
		case 1:
			tenant = kidA.ID
		case 2:
			tenant = kidB.ID
		}
		e := event.Event{
			TenantID: tenant, UUID: uuid.Must(uuid.NewV7()),
			OccurredAt:  base.Add(time.Duration(i) * time.Minute),
			Category:    []string{"Rofus", "Cpr", "Pep"}[i%3],
			Action:      actions[i%len(actions)],
			ActionType:  []event.ActionType{event.Active, event.Passive}[i%2],
			Channel:     []string{"API", "PORTAL"}[i%2],
			Source:      []string{"portal", "system"}[i%2],
			ExternalRef: fmt.Sprintf("ref-%d", i%997),
			RequestID:   fmt.Sprintf("req-%d", i),
			SessionID:   fmt.Sprintf("sess-%d", i%5000),
			Actor:       event.Actor{Type: []string{"ApiKey", "AcquirerUser", "MerchantUser"}[i%3], ID: fmt.Sprintf("u-%d", i%311), Email: fmt.Sprintf("user%d@example.com", i%311)},
			Subject:     event.Subject{Type: "INDIVIDUAL", ID: fmt.Sprintf("ent-%d", i%1009)},
			Targets:     []event.Target{{Type: []string{"Merchant", "Order", "kyc_answer"}[i%3], ID: fmt.Sprintf("obj-%d", i%2003)}, {Type: "kyc_case", ID: fmt.Sprint(i % 503)}},
			Labels:      map[string]string{"workflow_name": []string{"kyc", "aml", "safe"}[i%3], "risk_level": []string{"LOW", "MEDIUM", "HIGH"}[i%3]},
		}
		if err := event.Normalize(&e, base.Add(time.Duration(n)*time.Minute)); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
		if len(evs) == 1000 {
			reqs = append(reqs, store.AppendRequest{Events: evs})
			evs = nil
		}
	}
	if len(evs) > 0 {
		reqs = append(reqs, store.AppendRequest{Events: evs})
	}
	for _, r := range reqs {
		res, err := st.Append(ctx, []store.AppendRequest{r})
		if err != nil || res[0].Err != nil {
			t.Fatalf("load: %v %v", err, res[0].Err)
		}
	}
	// The plans are those of the indexes: fold the whole log into them.
	for {
		n, err := st.IndexBatch(ctx, 10000)
		if err != nil {
			t.Fatalf("index: %v", err)
		}
		if n == 0 {
			break
		}
	}
	return big.ID, []uuid.UUID{big.ID, kidA.ID, kidB.ID}
}
