package sqlbuild

import (
	"strconv"
	"time"

	"github.com/auditkeep/auditkeep/internal/store"
)

// MaxUnionTenants is the most tenants a query reads tenant by tenant. A
// scope of one tenant and a handful of children is the common case (a key
// of an acquirer or a customer); each tenant's page comes from its own index
// range and the pages merge. Past this many tenants the query reads them
// together and sorts what matches.
const MaxUnionTenants = 64

// Find builds the query for one page of q. It is a deferred join: a key
// query picks the page's ids through the index that serves the filter and
// the order (per tenant, reading at most offset+limit index entries each),
// and the outer query fetches only those rows, from the log: the indexes
// choose which events a page holds, the log (the record the ledger
// verifies) says what they are. cols selects event columns qualified with
// e.
func Find(d *Dialect, cols string, pks []int64, q *store.Query) *Builder {
	b := New(d)
	b.W("SELECT ", cols, " FROM (")
	b.pageKeys(pks, q)
	b.W(") p ", d.join(), " event_log e ON e.tenant_pk = p.tenant_pk AND e.id = p.id ORDER BY p.k", dir(q.Sort.Desc), ", p.id", dir(q.Sort.Desc))
	return b
}

// pageKeys writes the query of (tenant_pk, id, k) of one page, k being the
// sort value.
func (b *Builder) pageKeys(pks []int64, q *store.Query) {
	n := q.Limit + q.Offset
	if len(pks) == 1 {
		b.tenantKeys(pks, q, q.Limit, q.Offset)
		return
	}
	if len(pks) > MaxUnionTenants {
		b.tenantKeys(pks, q, q.Limit, q.Offset)
		return
	}
	b.W("SELECT u.tenant_pk, u.id, u.k FROM (")
	for i, pk := range pks {
		if i > 0 {
			b.W(" UNION ALL ")
		}
		b.W("SELECT * FROM (")
		b.tenantKeys([]int64{pk}, q, n, 0)
		b.W(") t", strconv.Itoa(i))
	}
	b.W(") u ORDER BY u.k", dir(q.Sort.Desc), ", u.id", dir(q.Sort.Desc), " LIMIT ").Arg(q.Limit)
	if q.Offset > 0 {
		b.W(" OFFSET ").Arg(q.Offset)
	}
}

// driver is the table a key query reads in index order.
type driver int

const (
	byEvents driver = iota
	byTarget        // event_targets, for a has-target filter in time order
	byLabel         // event_labels, for a one-value label filter in time order
)

// choose picks the most selective index whose order is the sort order.
func choose(q *store.Query) (driver, string) {
	if q.Sort.Field != store.ByOccurredAt {
		return byEvents, ""
	}
	if len(q.Filter.Targets) > 0 {
		return byTarget, ""
	}
	for _, k := range sortedKeys(q.Filter.Labels) {
		if len(q.Filter.Labels[k]) == 1 {
			return byLabel, k
		}
	}
	return byEvents, ""
}

// tenantKeys writes the key query over the tenants pks (one, or many read
// together) with the given limit and offset.
func (b *Builder) tenantKeys(pks []int64, q *store.Query, limit, offset int) {
	drv, label := choose(q)
	f := q.Filter
	var kCol, idCol string
	switch drv {
	case byTarget:
		first := f.Targets[0]
		f.Targets = f.Targets[1:]
		kCol, idCol = "x.occurred_at", "x.event_id"
		b.W("SELECT x.tenant_pk, x.event_id AS id, x.occurred_at AS k FROM event_targets x")
		if needsEvents(f) {
			b.W(" ", b.d.join(), " events e ON e.tenant_pk = x.tenant_pk AND e.id = x.event_id")
		}
		b.W(" WHERE ")
		In(b, "x.tenant_pk", pks)
		b.W(" AND x.type = ").Arg(first.Type).W(" AND x.target_id = ").Arg(first.ID)
	case byLabel:
		val := f.Labels[label][0]
		rest := map[string][]string{}
		for k, v := range f.Labels {
			if k != label {
				rest[k] = v
			}
		}
		f.Labels = rest
		kCol, idCol = "x.occurred_at", "x.event_id"
		b.W("SELECT x.tenant_pk, x.event_id AS id, x.occurred_at AS k FROM event_labels x")
		if needsEvents(f) {
			b.W(" ", b.d.join(), " events e ON e.tenant_pk = x.tenant_pk AND e.id = x.event_id")
		}
		b.W(" WHERE ")
		In(b, "x.tenant_pk", pks)
		b.W(" AND x.key = ").Arg(label).W(" AND x.value = ").Arg(val)
	default:
		kCol, idCol = SortColumn(q.Sort.Field), "e.id"
		b.W("SELECT e.tenant_pk, e.id, ", kCol, " AS k FROM events e WHERE ")
		In(b, "e.tenant_pk", pks)
	}
	b.filters(&f, drv, q.Sort.Field)
	if drv != byEvents {
		// The time bounds apply to the driving table's copy of occurred_at,
		// which its index orders by.
		b.timeBounds(kCol, &q.Filter)
	} else if q.Sort.Field == store.ByOccurredAt {
		b.timeBounds("e.occurred_at", &q.Filter)
	} else {
		b.timeBounds(b.d.noIndex("e.occurred_at"), &q.Filter)
	}
	if q.After != nil {
		var v any = q.After.Str
		if q.Sort.Field == store.ByOccurredAt {
			v = b.d.Time(q.After.Time)
		}
		op := " > "
		if q.Sort.Desc {
			op = " < "
		}
		b.W(" AND (", kCol, ", ", idCol, ")", op, "(").Arg(v).W(", ").Arg(q.After.ID).W(")")
	}
	b.W(" ORDER BY ", kCol, dir(q.Sort.Desc), ", ", idCol, dir(q.Sort.Desc))
	b.W(" LIMIT ").Arg(limit)
	if offset > 0 {
		b.W(" OFFSET ").Arg(offset)
	}
}

// Count builds the count of the events of pks that f selects.
func Count(d *Dialect, pks []int64, f *store.Filter) *Builder {
	b := New(d)
	q := &store.Query{Filter: *f}
	drv, label := choose(q)
	g := *f
	switch drv {
	case byTarget:
		first := g.Targets[0]
		g.Targets = g.Targets[1:]
		b.W("SELECT COUNT(*) FROM event_targets x")
		if needsEvents(g) {
			b.W(" ", d.join(), " events e ON e.tenant_pk = x.tenant_pk AND e.id = x.event_id")
		}
		b.W(" WHERE ")
		In(b, "x.tenant_pk", pks)
		b.W(" AND x.type = ").Arg(first.Type).W(" AND x.target_id = ").Arg(first.ID)
		b.filters(&g, byTarget, store.ByOccurredAt)
		b.timeBounds("x.occurred_at", f)
	case byLabel:
		val := g.Labels[label][0]
		rest := map[string][]string{}
		for k, v := range g.Labels {
			if k != label {
				rest[k] = v
			}
		}
		g.Labels = rest
		b.W("SELECT COUNT(*) FROM event_labels x")
		if needsEvents(g) {
			b.W(" ", d.join(), " events e ON e.tenant_pk = x.tenant_pk AND e.id = x.event_id")
		}
		b.W(" WHERE ")
		In(b, "x.tenant_pk", pks)
		b.W(" AND x.key = ").Arg(label).W(" AND x.value = ").Arg(val)
		b.filters(&g, byLabel, store.ByOccurredAt)
		b.timeBounds("x.occurred_at", f)
	default:
		b.W("SELECT COUNT(*) FROM events e WHERE ")
		In(b, "e.tenant_pk", pks)
		// A count reads every match: let the planner pick any index.
		b.filters(&g, byEvents, store.ByOccurredAt)
		b.timeBounds("e.occurred_at", f)
	}
	return b
}

func dir(desc bool) string {
	if desc {
		return " DESC"
	}
	return " ASC"
}

func (d *Dialect) join() string {
	if d.ForceJoinOrder != "" {
		return d.ForceJoinOrder
	}
	return "JOIN"
}

func (d *Dialect) noIndex(col string) string {
	if d.NoIndex != nil {
		return d.NoIndex(col)
	}
	return col
}

// needsEvents says whether the filters left after the driving side table's
// own predicate need the events row. The time bounds do not: they apply to
// the side table's copy of occurred_at.
func needsEvents(f store.Filter) bool {
	f.OccurredFrom, f.OccurredUntil = time.Time{}, time.Time{}
	return !f.IsZero()
}
