package sqlbuild

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/store"
)

// TestManyTargetsAndLabelsOneSubquery: past maxSemiJoins targets or label
// keys, each side table is one correlated count, not an EXISTS per value,
// which both planners flattened into semi-joins and planned exponentially
// (seconds at eight targets over a scope of 64 tenants).
func TestManyTargetsAndLabelsOneSubquery(t *testing.T) {
	t.Parallel()
	f := store.Filter{Labels: map[string][]string{}}
	for i := range 16 {
		f.Targets = append(f.Targets, store.TargetRef{Type: "kyc_case", ID: fmt.Sprint(i)})
	}
	f.Targets = append(f.Targets, f.Targets[3]) // a repeat counts once
	for i := range 8 {
		f.Labels[fmt.Sprintf("k%d", i)] = []string{"a", "b"}
	}
	timeArg := func(t time.Time) any { return t }
	d := &Dialect{Time: timeArg, ForceJoinOrder: "CROSS JOIN"}
	for _, sort := range []store.SortField{store.ByOccurredAt, store.ByActorType} {
		for kind, b := range map[string]*Builder{
			"page":  Find(d, "e.id", []int64{1, 2, 3}, &store.Query{Filter: f, Sort: store.Sort{Field: sort, Desc: true}, Limit: 10}),
			"count": Count(d, []int64{1}, &f),
		} {
			sql := b.SQL()
			if strings.Contains(sql, "EXISTS") {
				t.Errorf("%s, sort %d: an EXISTS per value:\n%s", kind, sort, sql)
			}
			branches := 1
			if kind == "page" {
				branches = 3
			}
			if n := strings.Count(sql, "FROM event_targets t "); n != branches {
				t.Errorf("%s, sort %d: %d target subqueries, want %d:\n%s", kind, sort, n, branches, sql)
			}
			if n := strings.Count(sql, "FROM event_labels l "); n != branches {
				t.Errorf("%s, sort %d: %d label subqueries, want %d:\n%s", kind, sort, n, branches, sql)
			}
			if strings.Count(sql, "?") != len(b.Args()) {
				t.Errorf("%s: placeholders and arguments differ", kind)
			}
		}
	}
	// A few are an EXISTS each, as before.
	few := Count(d, []int64{1}, &store.Filter{Targets: f.Targets[:3], Labels: map[string][]string{"a": {"1"}, "b": {"2"}}}).SQL()
	if n := strings.Count(few, "EXISTS"); n != 2+2 {
		t.Errorf("%d EXISTS for two targets beside the driving one and two label keys, want 4:\n%s", n, few)
	}
	// The distinct targets are counted: 16, not 17.
	sql := Count(d, []int64{1}, &store.Filter{Targets: f.Targets}).SQL()
	if c := strings.Count(sql, "t.type = ?"); c != 15 {
		t.Errorf("%d target terms beside the driving one, want 15:\n%s", c, sql)
	}
}
