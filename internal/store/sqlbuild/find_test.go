package sqlbuild

import (
	"strings"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/store"
)

// A side table (targets, labels) carries occurred_at: a time range next to
// its own predicate needs no join to events, another filter does.
func TestSideTableJoinsEventsOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	target := []store.TargetRef{{Type: "kyc_case", ID: "42"}}
	label := map[string][]string{"workflow_name": {"onboarding"}}
	for _, tc := range []struct {
		name string
		f    store.Filter
		join bool
	}{
		{"target", store.Filter{Targets: target}, false},
		{"target and time", store.Filter{Targets: target, OccurredFrom: from, OccurredUntil: from.Add(time.Hour)}, false},
		{"target and action", store.Filter{Targets: target, Actions: []string{"a"}}, true},
		{"label and time", store.Filter{Labels: label, OccurredFrom: from}, false},
		{"label and actor", store.Filter{Labels: label, ActorIDs: []string{"u1"}}, true},
	} {
		timeArg := func(t time.Time) any { return t }
		for _, d := range []*Dialect{{Dollar: true, Time: timeArg}, {Time: timeArg, ForceJoinOrder: "CROSS JOIN"}} {
			count := Count(d, []int64{1}, &tc.f).SQL()
			page := Find(d, "e.id", []int64{1}, &store.Query{Filter: tc.f, Sort: store.Sort{Desc: true}, Limit: 10}).SQL()
			for kind, sql := range map[string]string{"count": count, "page": page} {
				// The page joins the log once for its columns; the key
				// query inside it must not join the indexed events.
				joins := strings.Count(sql, " events e ON")
				want := 0
				if tc.join {
					want++
				}
				if logJoins := strings.Count(sql, "event_log e ON"); kind == "page" && logJoins != 1 {
					t.Errorf("%s, page: %d joins of the log, want 1:\n%s", tc.name, logJoins, sql)
				}
				if joins != want {
					t.Errorf("%s, %s (dollar %v): %d joins of events, want %d:\n%s", tc.name, kind, d.Dollar, joins, want, sql)
				}
			}
		}
	}
}
