package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditkeep/auditkeep/internal/store/sqlbuild"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

type planNode struct {
	id, parent int
	detail     string
}

// TestQueryPlans loads enough events for the planner to care, ANALYZEs,
// and fails when a main query shape reads the whole events table or sorts
// every matching row to return one page.
func TestQueryPlans(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	big, tree := storetest.LoadPlanCorpus(t, st, 30000)
	if err := st.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	for _, sh := range storetest.Shapes(big, tree) {
		t.Run(sh.Name, func(t *testing.T) {
			pks, err := st.scopePKs(ctx, sh.Query.Tenants)
			if err != nil {
				t.Fatal(err)
			}
			b := sqlbuild.Find(dialect, eventColumns, pks, &sh.Query)
			if sh.Count {
				b = sqlbuild.Count(dialect, pks, &sh.Query.Filter)
			}
			rows, err := st.reader.QueryContext(ctx, "EXPLAIN QUERY PLAN "+b.SQL(), b.Args()...)
			if err != nil {
				t.Fatal(err)
			}
			var nodes []planNode
			for rows.Next() {
				var n planNode
				var unused int
				if err := rows.Scan(&n.id, &n.parent, &unused, &n.detail); err != nil {
					t.Fatal(err)
				}
				nodes = append(nodes, n)
			}
			rows.Close()
			if problems := badPlan(nodes); len(problems) > 0 {
				t.Errorf("plan problems: %s\nSQL: %s\nplan:\n%s", strings.Join(problems, "; "), b.SQL(), formatPlan(nodes))
			}
		})
	}
}

// reads reports whether a plan line reads a base table (events, targets,
// labels) other than by primary key lookup.
func reads(detail string) bool {
	if !strings.HasPrefix(detail, "SCAN ") && !strings.HasPrefix(detail, "SEARCH ") {
		return false
	}
	name := strings.Fields(detail)[1]
	if name != "e" && name != "x" && name != "t" && name != "l" {
		return false // a subquery's rows (p, u, t0, …)
	}
	return !strings.Contains(detail, "INTEGER PRIMARY KEY (rowid=?)")
}

func badPlan(nodes []planNode) []string {
	var problems []string
	for _, n := range nodes {
		d := n.detail
		if strings.HasPrefix(d, "SCAN ") && reads(d) {
			// A SCAN of a base table has no tenant bound: it reads every
			// tenant's rows (the whole table, or a whole index).
			problems = append(problems, "full scan: "+d)
		}
		if strings.HasPrefix(d, "USE TEMP B-TREE") {
			for _, m := range nodes {
				if m.parent == n.parent && m.id != n.id && reads(m.detail) {
					problems = append(problems, "sorts the rows it reads ("+m.detail+"): "+d)
				}
			}
		}
	}
	return problems
}

func formatPlan(nodes []planNode) string {
	depth := map[int]int{0: 0}
	var b strings.Builder
	for _, n := range nodes {
		depth[n.id] = depth[n.parent] + 1
		b.WriteString(strings.Repeat("  ", depth[n.id]) + n.detail + "\n")
	}
	return b.String()
}

// TestBadPlanDetects keeps the plan checker honest: it must flag the two
// plans it exists to catch.
func TestBadPlanDetects(t *testing.T) {
	fullScan := []planNode{{1, 0, "SCAN e"}}
	sortAll := []planNode{{2, 0, "SEARCH e USING INDEX events_tenant_action (tenant_pk=? AND action=?)"}, {5, 0, "USE TEMP B-TREE FOR ORDER BY"}}
	good := []planNode{{2, 0, "CO-ROUTINE p"}, {3, 2, "SEARCH e USING COVERING INDEX events_tenant_time (tenant_pk=?)"}, {8, 0, "SCAN p"}, {9, 0, "SEARCH e USING INTEGER PRIMARY KEY (rowid=?)"}, {10, 0, "USE TEMP B-TREE FOR ORDER BY"}}
	if len(badPlan(fullScan)) == 0 {
		t.Error("a full scan passed")
	}
	if len(badPlan(sortAll)) == 0 {
		t.Error("sorting every matching row passed")
	}
	if p := badPlan(good); len(p) > 0 {
		t.Errorf("a good plan failed: %v", p)
	}
}
