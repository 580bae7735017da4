package postgres_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/auditkeep/auditkeep/internal/store/postgres"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

// planNode is a node of EXPLAIN (FORMAT JSON).
type planNode struct {
	Type     string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Index    string     `json:"Index Name"`
	Plans    []planNode `json:"Plans"`
}

var guarded = map[string]bool{"events": true, "event_targets": true, "event_labels": true}

// TestQueryPlans loads enough events for the planner to care, ANALYZEs,
// and fails when a main query shape reads a whole table or sorts every
// matching row to return one page (a Sort whose input reads a table without
// a Limit in between).
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Open(t)
	big, tree := storetest.LoadPlanCorpus(t, st, 30000)
	if _, err := st.Pool().Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	for _, sh := range storetest.Shapes(big, tree) {
		t.Run(sh.Name, func(t *testing.T) {
			sql, args, err := postgres.ShapeQuery(ctx, st, &sh.Query, sh.Count)
			if err != nil {
				t.Fatal(err)
			}
			var raw []byte
			if err := st.Pool().QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var doc []struct {
				Plan planNode `json:"Plan"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if problems := badPlan(doc[0].Plan, false); len(problems) > 0 {
				t.Errorf("plan problems: %s\nSQL: %s\nplan: %s", strings.Join(problems, "; "), sql, raw)
			}
		})
	}
}

// reads reports whether n reads a guarded table (not a primary-key lookup
// of a row already chosen).
func reads(n planNode) bool {
	return guarded[n.Relation] && !strings.HasSuffix(n.Index, "_pkey")
}

// badPlan walks a plan. limited says a Limit lies between n and the sort
// above it (if any).
func badPlan(n planNode, underSort bool) []string {
	var problems []string
	if n.Type == "Seq Scan" && guarded[n.Relation] {
		problems = append(problems, "sequential scan of "+n.Relation)
	}
	if underSort && reads(n) {
		problems = append(problems, "sorts the rows it reads from "+n.Relation+" ("+n.Type+" "+n.Index+")")
	}
	for _, c := range n.Plans {
		switch {
		case n.Type == "Sort" || n.Type == "Incremental Sort":
			problems = append(problems, badPlan(c, true)...)
		case n.Type == "Limit" || n.Type == "Aggregate":
			problems = append(problems, badPlan(c, false)...)
		default:
			problems = append(problems, badPlan(c, underSort)...)
		}
	}
	return problems
}

func TestBadPlanDetects(t *testing.T) {
	seq := planNode{Type: "Seq Scan", Relation: "events"}
	sortAll := planNode{Type: "Limit", Plans: []planNode{{Type: "Sort", Plans: []planNode{{Type: "Index Scan", Relation: "events", Index: "events_tenant_action"}}}}}
	good := planNode{Type: "Sort", Plans: []planNode{{Type: "Nested Loop", Plans: []planNode{
		{Type: "Limit", Plans: []planNode{{Type: "Index Only Scan", Relation: "events", Index: "events_tenant_time"}}},
		{Type: "Index Scan", Relation: "events", Index: "events_pkey"},
	}}}}
	if len(badPlan(seq, false)) == 0 || len(badPlan(sortAll, false)) == 0 {
		t.Error("a bad plan passed")
	}
	if p := badPlan(good, false); len(p) > 0 {
		t.Errorf("a good plan failed: %v", p)
	}
}
