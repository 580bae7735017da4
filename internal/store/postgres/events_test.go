package postgres_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/postgres"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
	"github.com/auditkeep/auditkeep/internal/store/sqlite"
)

// corpus returns varied events of two tenants, the same on every call but
// for their uuids, which the caller fixes.
func corpus(t *testing.T, root, child uuid.UUID) []event.Event {
	base := time.Date(2025, 2, 1, 8, 0, 0, 0, time.UTC)
	var evs []event.Event
	for i := 0; i < 60; i++ {
		e := event.Event{
			TenantID:    root,
			UUID:        uuid.Must(uuid.NewV7()),
			OccurredAt:  base.Add(time.Duration(i/2)*time.Hour + time.Duration(i%7)*time.Microsecond),
			Category:    []string{"Rofus", "Cpr", "Identity"}[i%3],
			Action:      []string{"create", "update", "delete", "STATUS_CHANGED", "evaluation"}[i%5],
			ActionType:  []event.ActionType{event.Active, event.Passive}[i%2],
			Status:      []event.Status{event.Success, event.Failure, event.Info}[i%3],
			Level:       1 + i%3,
			Actor:       event.Actor{Type: []string{"user", "api_key", "system"}[i%3], ID: fmt.Sprintf("u-%d", i%4), Email: []string{"Martin@Example.com", "ops@corp.dk", ""}[i%3]},
			ExternalRef: fmt.Sprintf("ref-%d", i%6), Context: []string{"player-login", "kyc"}[i%2],
			RequestID: fmt.Sprintf("req-%d", i), SessionID: fmt.Sprintf("s-%d", i%5),
			Channel: []string{"API", "PORTAL"}[i%2], Source: []string{"portal", "batch", ""}[i%3],
		}
		if i%4 == 1 {
			e.TenantID = child
		}
		if i%4 != 0 {
			e.Targets = []event.Target{{Type: []string{"kyc_answer", "kyc_case", "merchant"}[i%3], ID: fmt.Sprint(i % 7)}, {Type: "kyc_case", ID: fmt.Sprint(i % 5)}}
		}
		if i%2 == 1 {
			e.Subject = event.Subject{Type: "person", ID: fmt.Sprintf("p-%d", i%3)}
		}
		if i%3 == 0 {
			e.Labels = map[string]string{"workflow_name": fmt.Sprintf("wf-%d", i%2), "risk_level": []string{"LOW", "HIGH"}[i%2]}
		}
		if i%5 == 0 {
			e.Metadata = []byte(fmt.Sprintf(`{"n": %d, "s": "é\u0001<>"}`, i))
		}
		if err := event.Normalize(&e, base.Add(100*time.Hour)); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	return evs
}

// Every filter, sort and page gives the same events on PostgreSQL as on
// SQLite, the reference engine, over the same appended events.
func TestQueriesMatchSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := pgtest.Open(t)
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ref.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	engines := []store.Store{pg, lite}

	now := time.Now().UTC().Truncate(time.Microsecond)
	root := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "root", Kind: "acquirer", CreatedAt: now}
	child := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "child", Kind: "merchant", Parent: root.ID, CreatedAt: now}
	evs := corpus(t, root.ID, child.ID)
	for _, st := range engines {
		for _, tn := range []store.Tenant{root, child} {
			if err := st.CreateTenant(ctx, &tn); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < len(evs); i += 10 {
			res, err := st.Append(ctx, []store.AppendRequest{{Events: evs[i : i+5]}, {Events: evs[i+5 : i+10]}})
			if err != nil || res[0].Err != nil || res[1].Err != nil {
				t.Fatalf("%s: append: %v %v %v", st.Engine(), err, res[0].Err, res[1].Err)
			}
		}
	}

	both := []uuid.UUID{root.ID, child.ID}
	type targetTyper interface {
		TargetTypes(context.Context, []uuid.UUID) ([]string, error)
	}
	for _, scope := range [][]uuid.UUID{both, {child.ID}, {uuid.Must(uuid.NewV7())}} {
		var types [2][]string
		for i, st := range engines {
			if types[i], err = st.(targetTyper).TargetTypes(ctx, scope); err != nil {
				t.Fatalf("%s: target types: %v", st.Engine(), err)
			}
		}
		if diff := cmp.Diff(types[1], types[0]); diff != "" {
			t.Errorf("target types of %v (-sqlite +postgres):\n%s", scope, diff)
		}
	}
	at := func(h int) time.Time { return time.Date(2025, 2, 1, 8+h, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name  string
		q     store.Query
		empty bool // the query may select nothing
	}{
		{name: "all newest first", q: store.Query{Sort: store.Sort{Desc: true}}},
		{name: "all oldest first", q: store.Query{}},
		{name: "child only", q: store.Query{Tenants: []uuid.UUID{child.ID}}},
		{name: "ids", q: store.Query{Filter: store.Filter{IDs: []int64{3, 5, 7, 1000}}}},
		{name: "one uuid", q: store.Query{Filter: store.Filter{UUIDs: []uuid.UUID{evs[4].UUID}}}},
		{name: "uuids", q: store.Query{Filter: store.Filter{UUIDs: []uuid.UUID{evs[2].UUID, evs[9].UUID, uuid.Must(uuid.NewV7())}}}},
		{name: "categories", q: store.Query{Filter: store.Filter{Categories: []string{"Cpr", "Rofus"}}}},
		{name: "action", q: store.Query{Filter: store.Filter{Actions: []string{"delete"}}}},
		{name: "action type and status", q: store.Query{Filter: store.Filter{ActionTypes: []string{"passive"}, Statuses: []string{"failure", "info"}}}},
		{name: "levels", q: store.Query{Filter: store.Filter{Levels: []int{1, 3}}}},
		{name: "refs and contexts", q: store.Query{Filter: store.Filter{ExternalRefs: []string{"ref-1", "ref-2"}, Contexts: []string{"kyc"}}}},
		{name: "request and session", q: store.Query{Filter: store.Filter{RequestIDs: []string{"req-7", "req-8", "req-9"}, SessionIDs: []string{"s-2", "s-3", "s-4"}}}},
		{name: "channel and source", q: store.Query{Filter: store.Filter{Channels: []string{"PORTAL"}, Sources: []string{""}}}},
		{name: "actor", q: store.Query{Filter: store.Filter{ActorTypes: []string{"user", "system"}, ActorIDs: []string{"u-0", "u-2"}}}},
		{name: "subject", q: store.Query{Filter: store.Filter{SubjectTypes: []string{"person"}, SubjectIDs: []string{"p-1"}}}},
		{name: "action prefixes", q: store.Query{Filter: store.Filter{ActionPrefixes: []string{"STATUS_", "cr"}}}},
		{name: "empty action prefix", q: store.Query{Filter: store.Filter{ActionPrefixes: []string{""}}}},
		{name: "email contains", q: store.Query{Filter: store.Filter{ActorEmailContains: "example.COM"}}},
		{name: "email wildcard is literal", q: store.Query{Filter: store.Filter{ActorEmailContains: "_"}}, empty: true},
		{name: "has target", q: store.Query{Filter: store.Filter{Targets: []store.TargetRef{{Type: "kyc_case", ID: "2"}}}}},
		{name: "has two targets", q: store.Query{Filter: store.Filter{Targets: []store.TargetRef{{Type: "kyc_case", ID: "2"}, {Type: "merchant", ID: "2"}}}}, empty: true},
		{name: "primary target", q: store.Query{Filter: store.Filter{PrimaryTargetTypes: []string{"kyc_case", "merchant"}, PrimaryTargetIDs: []string{"1", "3", "5"}}}},
		{name: "primary target prefix", q: store.Query{Filter: store.Filter{PrimaryTargetTypePrefixes: []string{"kyc_"}}}},
		{name: "label", q: store.Query{Filter: store.Filter{Labels: map[string][]string{"workflow_name": {"wf-0"}}}}},
		{name: "labels", q: store.Query{Filter: store.Filter{Labels: map[string][]string{"risk_level": {"LOW", "HIGH"}, "workflow_name": {"wf-1"}}}}},
		{name: "time range", q: store.Query{Filter: store.Filter{OccurredFrom: at(3), OccurredUntil: at(9)}}},
		{name: "open time range", q: store.Query{Filter: store.Filter{OccurredFrom: at(20)}, Sort: store.Sort{Desc: true}}},
		{name: "by actor type page", q: store.Query{Sort: store.Sort{Field: store.ByActorType}, Limit: 7, Offset: 3}},
		{name: "by target type after", q: store.Query{Sort: store.Sort{Field: store.ByTargetType, Desc: true}, After: &store.SortKey{Str: "kyc_case", ID: 30}}},
		{name: "by action type after", q: store.Query{Sort: store.Sort{Field: store.ByActionType}, After: &store.SortKey{Str: "active", ID: 20}}},
		{name: "by time after", q: store.Query{Sort: store.Sort{Desc: true}, After: &store.SortKey{Time: evs[30].OccurredAt, ID: 31}, Limit: 9}},
		{name: "filter and page", q: store.Query{Filter: store.Filter{Actions: []string{"create", "update"}, Levels: []int{2}}, Limit: 3, Offset: 2, Sort: store.Sort{Desc: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			if q.Tenants == nil {
				q.Tenants = both
			}
			if q.Limit == 0 {
				q.Limit = 1000
			}
			var found [2][]event.Event
			var counts [2]int64
			for i, st := range engines {
				var err error
				if found[i], err = st.Find(ctx, &q); err != nil {
					t.Fatalf("%s: find: %v", st.Engine(), err)
				}
				if counts[i], err = st.Count(ctx, &q); err != nil {
					t.Fatalf("%s: count: %v", st.Engine(), err)
				}
			}
			if len(found[1]) == 0 && !tc.empty {
				t.Fatalf("the reference engine finds nothing: the case tests little")
			}
			if diff := cmp.Diff(found[1], found[0], cmpopts.IgnoreFields(event.Event{}, "RecordedAt"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("find (-sqlite +postgres):\n%s", diff)
			}
			if counts[0] != counts[1] {
				t.Errorf("count = %d on postgres, %d on sqlite", counts[0], counts[1])
			}
		})
	}
}

// The unfiltered total is the maintained counter, not a count of rows.
func TestUnfilteredCountReadsCounter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Open(t)
	tn := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "c", CreatedAt: time.Now()}
	if err := st.CreateTenant(ctx, &tn); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Count(ctx, &store.Query{Tenants: []uuid.UUID{tn.ID}}); err != nil || n != 0 {
		t.Fatalf("count of a tenant never written = %d, %v", n, err)
	}
	if _, err := st.Pool().Exec(ctx, `INSERT INTO tenant_heads (tenant_pk, next_seq, live) SELECT pk, 0, 1234 FROM tenants`); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Count(ctx, &store.Query{Tenants: []uuid.UUID{tn.ID}}); err != nil || n != 1234 {
		t.Errorf("count = %d, %v; want the counter's 1234", n, err)
	}
}

// The reads that every page and every append make have an index to serve
// them. The tables get a few thousand rows and fresh statistics so the
// planner chooses as it would in earnest; sequential scans are turned off,
// as tables this small would still rightly prefer them.
func TestQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Open(t)
	var tenants []uuid.UUID
	for i := 0; i < 3; i++ {
		tn := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "t", CreatedAt: time.Now()}
		if err := st.CreateTenant(ctx, &tn); err != nil {
			t.Fatal(err)
		}
		tenants = append(tenants, tn.ID)
	}
	evs := corpus(t, uuid.Nil, uuid.Nil)
	for round := 0; round < 10; round++ {
		var reqs []store.AppendRequest
		for i := 0; i < 300; i++ {
			e := evs[i%60]
			e.TenantID, e.UUID = tenants[i%3], uuid.Must(uuid.NewV7())
			e.IdempotencyKey = fmt.Sprintf("k-%d-%d", round, i)
			reqs = append(reqs, store.AppendRequest{Events: []event.Event{e}})
		}
		if _, err := st.Append(ctx, reqs); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Pool().Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	conn, err := st.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	find := func(q store.Query) (string, []any) {
		q.Limit = 50
		return postgres.FindQuery([]int64{1}, &q)
	}
	for _, tc := range []struct {
		name  string
		sql   string
		args  []any
		index string
	}{
		{"newest first", "", nil, "events_tenant_time"},
		{"keyset page", "", nil, "events_tenant_time"},
		{"event by uuid", "", nil, "event_log_tenant_uuid"},
		{"event by id", "", nil, "event_log_pkey"},
		{"idempotency keys", postgres.IdemQuery, []any{[]int64{1, 2}, []string{"a", "b"}}, "event_log_tenant_idem"},
		{"subtree", postgres.SubtreeQuery, []any{"/1/", "/10"}, "tenants_path_key"},
	} {
		switch tc.name {
		case "newest first":
			tc.sql, tc.args = find(store.Query{Sort: store.Sort{Desc: true}})
		case "keyset page":
			tc.sql, tc.args = find(store.Query{Sort: store.Sort{Desc: true}, After: &store.SortKey{Time: time.Now(), ID: 9}})
		case "event by uuid":
			tc.sql, tc.args = postgres.EventQuery([]int64{1, 2}, store.EventRef{UUID: uuid.Must(uuid.NewV7())})
		case "event by id":
			tc.sql, tc.args = postgres.EventQuery([]int64{1, 2}, store.EventRef{ID: 7})
		}
		rows, err := conn.Query(ctx, "EXPLAIN "+tc.sql, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan strings.Builder
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(line + "\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !strings.Contains(plan.String(), tc.index) || strings.Contains(plan.String(), "Seq Scan") {
			t.Errorf("%s: plan does not use %s:\n%s", tc.name, tc.index, plan.String())
		}
	}
}
