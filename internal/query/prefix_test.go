package query_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

// prefixValues are stored both as actions and as primary target types: each
// sits just below or just above the upper bound of a prefix range, where
// incrementing the last byte would leave UTF-8 (after 0x7F, after a 0xBF
// continuation byte) or step past the end of the code points.
var prefixValues = []string{
	"a", "a\u007f", "a\u007fz", "a\u0080", "b",
	"¿", "¿x", "¿\U0010FFFF", "À", // U+00BF ends in 0xBF; U+00C0 follows it
	"é", "éa", "ê",
	"😿", "😿!", "🙀", // U+1F63F ends in 0xBF
	"\uD7FF", "\uD7FFx", "\uE000", // the surrogates lie between these two
	"\uFFFF", "\uFFFFx", "\U00010000",
	"z\U0010FFFF", "z\U0010FFFF\U0010FFFF", "{",
	"\U0010FFFF", "\U0010FFFFq",
}

var prefixes = []string{
	"a\u007f", "a", "¿", "é", "😿", "\uD7FF", "\uFFFF",
	"z\U0010FFFF", "z", "\U0010FFFF", "¿\U0010FFFF", "ÿ", "\u007f",
}

// TestPrefixNonASCII checks prefix filters whose range bound is not the
// last byte plus one, on both engines: PostgreSQL refuses a bound that is
// not UTF-8, and both must match exactly what strings.HasPrefix does.
func TestPrefixNonASCII(t *testing.T) {
	t.Parallel()
	bothEngines(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, st, "prefix", uuid.Nil)
		var evs []event.Event
		for _, v := range prefixValues {
			e := storetest.NewEvent(t, tn.ID, v)
			e.Targets = []event.Target{{Type: v, ID: "1"}}
			evs = append(evs, e)
		}
		res, err := st.Append(ctx, []store.AppendRequest{{Events: evs}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("append: %v %v", err, res[0])
		}
		engine := query.New(st, []byte("0123456789abcdef0123456789abcdef"))
		for _, p := range prefixes {
			var want []string
			for _, v := range prefixValues {
				if strings.HasPrefix(v, p) {
					want = append(want, v)
				}
			}
			for _, byTarget := range []bool{false, true} {
				var f store.Filter
				if byTarget {
					f.PrimaryTargetTypePrefixes = []string{p}
				} else {
					f.ActionPrefixes = []string{p}
				}
				req := &query.Request{
					Scope: []uuid.UUID{tn.ID}, Filter: f, Kind: query.Offset, Page: 1,
					Limit: query.MaxLimit, Total: true, Sort: store.Sort{Field: store.ByActionType},
				}
				got, err := engine.Run(ctx, req)
				if err != nil {
					t.Fatalf("prefix %+q (target type %v): %v", p, byTarget, err)
				}
				var vals []string
				for _, e := range got.Events {
					vals = append(vals, e.Action)
				}
				if diff := cmp.Diff(want, vals); diff != "" {
					t.Errorf("prefix %+q (target type %v) (-want +got):\n%s", p, byTarget, diff)
				}
				// A one-row page makes the engine count with the filter.
				req.Limit = 1
				if got, err = engine.Run(ctx, req); err != nil {
					t.Fatalf("prefix %+q (target type %v), count: %v", p, byTarget, err)
				}
				if got.Total != int64(len(want)) {
					t.Errorf("prefix %+q (target type %v): total %d, want %d", p, byTarget, got.Total, len(want))
				}
			}
		}
	})
}
