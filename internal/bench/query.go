package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
)

// QueryShape is one measured kind of read.
type QueryShape struct {
	Name   string
	Target time.Duration // the p99 this shape should meet at 10M events
	// Make returns the i-th request (parameters vary by i so the same row
	// is not read hot from cache every time).
	Make func(i int) *query.Request
}

// QueryResult is one shape's latencies.
type QueryResult struct {
	Shape    string
	Target   time.Duration
	Runs     int
	P50, P99 time.Duration
	Rows     int64 // events returned (or counted) by the last run
}

// QueryShapes is the fixed mix of docs/BENCHMARKS.md over a loaded corpus.
func QueryShapes(l *LoadResult) []QueryShape {
	big := []uuid.UUID{l.Tenants[0]}
	tree := l.Tenants[:3]
	newest := store.Sort{Desc: true}
	first := func(f func(i int) store.Filter) func(int) *query.Request {
		return func(i int) *query.Request {
			return &query.Request{Scope: big, Filter: f(i), Sort: newest, Kind: query.Cursor, Limit: 50}
		}
	}
	rnd := func(i, n int) int { return int(rand.New(rand.NewPCG(uint64(i), 99)).IntN(n)) }
	at := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	ms, p99 := time.Millisecond, func(d time.Duration) time.Duration { return d }
	shapes := []QueryShape{
		{"first page, no filter", p99(10 * ms), first(func(int) store.Filter { return store.Filter{} })},
		{"first page, external_ref (Fortuna)", p99(10 * ms), first(func(i int) store.Filter {
			return store.Filter{ExternalRefs: []string{fmt.Sprintf("customer-ref-%05d", rnd(i, refsPerBig))}}
		})},
		{"first page, category + operation (Fortuna)", p99(10 * ms), first(func(i int) store.Filter {
			return store.Filter{Categories: []string{categories[i%len(categories)]}, Actions: []string{"evaluation"}}
		})},
		{"first page, has target kyc_case (Auditply)", p99(10 * ms), first(func(i int) store.Filter {
			return store.Filter{Targets: []store.TargetRef{{Type: "kyc_case", ID: fmt.Sprint(rnd(i, kycCases))}}}
		})},
		{"first page, label workflow_name (FrankieOne)", p99(10 * ms), first(func(i int) store.Filter {
			return store.Filter{Labels: map[string][]string{"workflow_name": {workflows[i%len(workflows)]}}}
		})},
		{"first page, subject id (FrankieOne entityId)", p99(10 * ms), first(func(i int) store.Filter {
			return store.Filter{SubjectIDs: []string{fmt.Sprintf("ent-%d", rnd(i, subjectsEach))}}
		})},
		{"first page, actor id (Moyasar performer_id)", p99(10 * ms), first(func(i int) store.Filter {
			return store.Filter{ActorIDs: []string{fmt.Sprintf("u-%d", rnd(i, 1000))}}
		})},
		{"first page, action prefix (Moyasar)", p99(10 * ms), first(func(i int) store.Filter {
			return store.Filter{ActionPrefixes: []string{[]string{"cre", "upd", "des"}[i%3]}}
		})},
		{"first page, actor email contains", p99(10 * ms), first(func(i int) store.Filter {
			return store.Filter{ActorEmailContains: fmt.Sprintf("user%d@", rnd(i, 1000))}
		})},
		{"first page, one week", p99(10 * ms), first(func(i int) store.Filter {
			from := at.Add(time.Duration(rnd(i, 100)) * 7 * 24 * time.Hour)
			return store.Filter{OccurredFrom: from, OccurredUntil: from.Add(7 * 24 * time.Hour)}
		})},
		// The largest request GET /v1/events takes (docs/api.md, "Filter
		// bounds"): every bound at once, so its SQL and its planning are
		// the most one request can cost. All of the targets must be
		// present, so it matches almost nothing; it reads through the
		// rows of its first target.
		{"first page, every filter at its bound (128 values)", p99(10 * ms), first(maxFilters)},
		{"first page, every filter at its bound, acquirer tree", p99(10 * ms), func(i int) *query.Request {
			return &query.Request{Scope: tree, Filter: maxFilters(i), Sort: newest, Kind: query.Cursor, Limit: 50}
		}},
		// Any-of at its bound: 100 actions and 28 label values, most of
		// them absent, on a filter that matches about half the tenant.
		{"first page, 100 actions + 28 label values", p99(10 * ms), first(func(i int) store.Filter {
			return store.Filter{Actions: manyValues("create", 100, i), Labels: map[string][]string{"workflow_name": manyValues(workflows[i%len(workflows)], httpx.MaxFilters-100, i)}}
		})},
		{"first page, acquirer tree (Moyasar)", p99(10 * ms), func(i int) *query.Request {
			return &query.Request{Scope: tree, Sort: newest, Kind: query.Offset, Page: 1, Limit: 25}
		}},
		{"first page, sort by actor type (Moyasar)", p99(10 * ms), func(i int) *query.Request {
			return &query.Request{Scope: big, Sort: store.Sort{Field: store.ByActorType, Desc: i%2 == 0}, Kind: query.Offset, Page: 1, Limit: 25}
		}},
		{"page 1,000 of an offset walk (50 a page)", p99(50 * ms), func(i int) *query.Request {
			return &query.Request{Scope: big, Sort: newest, Kind: query.Offset, Page: 1000 + i%5, Limit: 50}
		}},
		{"keyset page deep in the log", p99(10 * ms), nil}, // filled in by RunQueries: needs a cursor
		{"tenant total (maintained counter)", p99(5 * ms), func(i int) *query.Request {
			return &query.Request{Scope: big, Sort: newest, Kind: query.Offset, Page: 2, Limit: 1, Total: true}
		}},
		{"exact total, ~1k matches (external_ref)", p99(100 * ms), func(i int) *query.Request {
			return &query.Request{Scope: big, Sort: newest, Kind: query.Offset, Page: 2, Limit: 1, Total: true,
				Filter: store.Filter{ExternalRefs: []string{fmt.Sprintf("customer-ref-%05d", rnd(i, refsPerBig))}}}
		}},
		{"exact total, ~100k matches (action)", p99(100 * ms), func(i int) *query.Request {
			return &query.Request{Scope: big, Sort: newest, Kind: query.Offset, Page: 2, Limit: 1, Total: true,
				Filter: store.Filter{Actions: []string{hotAction}}}
		}},
		{"exact total, ~2M matches (whole-tenant time range)", 0, func(i int) *query.Request {
			return &query.Request{Scope: big, Sort: newest, Kind: query.Offset, Page: 2, Limit: 1, Total: true,
				Filter: store.Filter{OccurredFrom: at.Add(-time.Hour)}}
		}},
	}
	return shapes
}

// maxFilters is a filter at every bound of GET /v1/events at once: 16
// targets (a kyc case the corpus holds first), 8 action and 8 target type
// prefixes, 32 values of one label, and the rest of the 128 filter values
// as actions.
func maxFilters(i int) store.Filter {
	f := store.Filter{Labels: map[string][]string{"workflow_name": manyValues(workflows[i%len(workflows)], httpx.MaxLabelValues/2, i)}}
	for k := range httpx.MaxTargets {
		f.Targets = append(f.Targets, store.TargetRef{Type: "kyc_case", ID: fmt.Sprint((i*httpx.MaxTargets + k) % kycCases)})
	}
	f.ActionPrefixes = manyValues("cre", httpx.MaxPrefixes/2, i)
	f.PrimaryTargetTypePrefixes = manyValues("Mer", httpx.MaxPrefixes/2, i)
	f.Actions = manyValues("create", httpx.MaxFilters-httpx.MaxTargets-httpx.MaxPrefixes-httpx.MaxLabelValues/2, i)
	return f
}

// manyValues is n distinct values: first, then values no event holds.
func manyValues(first string, n, i int) []string {
	out := []string{first}
	for k := 1; k < n; k++ {
		out = append(out, fmt.Sprintf("%s-absent-%d-%d", first, i, k))
	}
	return out
}

// RunQueries measures every shape runs times against the engine.
func RunQueries(ctx context.Context, en *query.Engine, l *LoadResult, runs int) ([]QueryResult, error) {
	shapes := QueryShapes(l)
	// A keyset page deep in the log: walk to the middle once with a large
	// page, then time the page after a cursor there.
	for i := range shapes {
		if shapes[i].Make != nil {
			continue
		}
		cursor, err := deepCursor(ctx, en, l.Tenants[0], l.Counts[0]/2)
		if err != nil {
			return nil, err
		}
		shapes[i].Make = func(int) *query.Request {
			return &query.Request{Scope: l.Tenants[:1], Sort: store.Sort{Desc: true}, Kind: query.Cursor, Limit: 50, Cursor: cursor}
		}
	}
	var out []QueryResult
	for _, sh := range shapes {
		var lat []time.Duration
		var rows int64
		// One warm-up run: the first touch of an index pays disk reads that
		// a running service has long paid.
		if _, err := en.Run(ctx, sh.Make(runs)); err != nil {
			return nil, fmt.Errorf("%s: %w", sh.Name, err)
		}
		for i := 0; i < runs; i++ {
			req := sh.Make(i)
			t0 := time.Now()
			res, err := en.Run(ctx, req)
			lat = append(lat, time.Since(t0))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", sh.Name, err)
			}
			rows = int64(len(res.Events))
			if req.Total {
				rows = res.Total
			}
		}
		slices.Sort(lat)
		out = append(out, QueryResult{Shape: sh.Name, Target: sh.Target, Runs: runs, P50: Percentile(lat, 0.5), P99: Percentile(lat, 0.99), Rows: rows})
	}
	return out, nil
}

// deepCursor walks to about position pos of a tenant's newest-first log
// and returns the cursor there.
func deepCursor(ctx context.Context, en *query.Engine, t uuid.UUID, pos int64) (string, error) {
	req := &query.Request{Scope: []uuid.UUID{t}, Sort: store.Sort{Desc: true}, Kind: query.Cursor, Limit: query.MaxLimit}
	for walked := int64(0); walked < pos; walked += query.MaxLimit {
		res, err := en.Run(ctx, req)
		if err != nil {
			return "", err
		}
		if res.NextCursor == "" {
			break
		}
		req.Cursor = res.NextCursor
	}
	return req.Cursor, nil
}
