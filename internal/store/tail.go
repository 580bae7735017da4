package store

import (
	"context"
	"slices"

	"github.com/auditkeep/auditkeep/internal/event"
)

// The acknowledged record is the log; the query indexes are folded in
// behind it by the indexer (docs/query.md, "The log and the indexer").
// Each tenant's indexes hold exactly its events with seq below its index
// mark, and the rest of its log, seq ≥ mark, is its tail. A read takes the
// marks, the index rows and the tails from one snapshot and merges them
// here, so it sees every acknowledged event whatever the indexer's lag.
// A per-tenant mark on seq is safe where a global one on id is not: ids
// from parallel PostgreSQL writers commit out of order, a tenant's seqs
// commit in order, gap-free.

// TailFilter keeps the tail events a query selects, in its sort order,
// after its keyset position when it has one. fold is the engine's case
// folding (see Filter.Match).
func TailFilter(q *Query, tail []event.Event, fold func(string) string) []event.Event {
	var out []event.Event
	for i := range tail {
		e := &tail[i]
		if !q.Filter.Match(e, fold) {
			continue
		}
		if q.After != nil {
			c := KeyOf(q.Sort.Field, e).Compare(q.Sort.Field, *q.After)
			if (!q.Sort.Desc && c <= 0) || (q.Sort.Desc && c >= 0) {
				continue
			}
		}
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b event.Event) int { return q.Sort.compare(&a, &b) })
	return out
}

// MergeFind answers q from the indexes (index runs a query on them alone)
// and the query's tail events (already through TailFilter).
//
// Keyset pages read the same limit from both and merge. Offset pages read
// index rows [max(0, off−|tail|), off+limit): at most |tail| tail events
// precede a row of the page, so no index row before that window can be on
// it. The first index row read, I[o], sits at o + (tail events before it)
// in the merged order, which is at most off, so tail events before it are
// all before the page too.
func MergeFind(ctx context.Context, q *Query, tail []event.Event, index func(context.Context, *Query) ([]event.Event, error)) ([]event.Event, error) {
	if len(tail) == 0 {
		return index(ctx, q)
	}
	if q.After != nil {
		idx, err := index(ctx, q)
		if err != nil {
			return nil, err
		}
		return cut(merge(q.Sort, idx, tail), 0, q.Limit), nil
	}
	o := max(0, q.Offset-len(tail))
	iq := *q
	iq.Offset, iq.Limit = o, q.Offset+q.Limit-o
	idx, err := index(ctx, &iq)
	if err != nil {
		return nil, err
	}
	if o == 0 {
		return cut(merge(q.Sort, idx, tail), q.Offset, q.Limit), nil
	}
	if len(idx) == 0 {
		// Fewer than o index rows: the whole result ends before the page.
		return nil, nil
	}
	before := 0
	for before < len(tail) && q.Sort.compare(&tail[before], &idx[0]) < 0 {
		before++
	}
	return cut(merge(q.Sort, idx, tail[before:]), q.Offset-(o+before), q.Limit), nil
}

func merge(s Sort, a, b []event.Event) []event.Event {
	out := make([]event.Event, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if s.compare(&a[0], &b[0]) <= 0 {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

func cut(evs []event.Event, off, limit int) []event.Event {
	if off >= len(evs) {
		return nil
	}
	return evs[off:min(len(evs), off+limit)]
}

// TailTargetTypes adds the tail's primary target types to the indexed
// ones and sorts them.
func TailTargetTypes(indexed []string, tail []event.Event) []string {
	for i := range tail {
		if t := tail[i].PrimaryTarget().Type; t != "" && !slices.Contains(indexed, t) {
			indexed = append(indexed, t)
		}
	}
	slices.Sort(indexed)
	return indexed
}
