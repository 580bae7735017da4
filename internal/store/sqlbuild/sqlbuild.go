package sqlbuild

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/store"
)

// Dialect is what differs between the engines' SQL.
type Dialect struct {
	// Dollar numbers placeholders ($1, $2, …) instead of using '?'.
	Dollar bool
	// Time converts a time to the engine's column value.
	Time func(time.Time) any
	// UUID converts a uuid to the engine's column value.
	UUID func(uuid.UUID) any
	// ILike is the case-insensitive LIKE operator.
	ILike string
	// Array, when set, binds a list as one array parameter (PostgreSQL's
	// = ANY($1)); otherwise lists become IN (?, ?, …).
	Array func(v any) any
	// NoIndex wraps a column so the planner will not pick its index
	// (SQLite's unary +), keeping the index that yields the sort order.
	NoIndex func(col string) string
	// ForceJoinOrder is the join keyword that keeps the written table order
	// (SQLite's CROSS JOIN); "" for a plain JOIN.
	ForceJoinOrder string
}

// Builder accumulates SQL text and its arguments.
type Builder struct {
	d    *Dialect
	sb   strings.Builder
	args []any
}

// New starts a builder.
func New(d *Dialect) *Builder { return &Builder{d: d} }

// SQL returns the text built so far.
func (b *Builder) SQL() string { return b.sb.String() }

// Args returns the arguments, in placeholder order.
func (b *Builder) Args() []any { return b.args }

// W writes SQL text.
func (b *Builder) W(s ...string) *Builder {
	for _, x := range s {
		b.sb.WriteString(x)
	}
	return b
}

// Arg writes a placeholder for v.
func (b *Builder) Arg(v any) *Builder {
	b.args = append(b.args, v)
	if b.d.Dollar {
		b.sb.WriteString("$" + strconv.Itoa(len(b.args)))
	} else {
		b.sb.WriteByte('?')
	}
	return b
}

// In writes "col = x" for one value and "col IN (…)" (or = ANY) for more.
func In[T any](b *Builder, col string, vals []T) {
	if len(vals) == 1 {
		b.W(col, " = ").Arg(any(vals[0]))
		return
	}
	if b.d.Array != nil {
		b.W(col, " = ANY(").Arg(b.d.Array(vals)).W(")")
		return
	}
	b.W(col, " IN (")
	for i, v := range vals {
		if i > 0 {
			b.W(", ")
		}
		b.Arg(any(v))
	}
	b.W(")")
}

// EscapeLike escapes LIKE wildcards in s; patterns use ESCAPE '\'.
func EscapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// timeIndexed are the columns with a (tenant_pk, column, occurred_at, id)
// index: a one-value filter on them reads its index in time order.
var timeIndexed = map[string]bool{
	"e.action": true, "e.external_ref": true, "e.actor_id": true, "e.subject_id": true,
	"e.request_id": true, "e.session_id": true, "e.target_id": true,
	"e.uuid": true, // unique: one row, whose order is trivially right
}

// Sparse are the columns that the derived events table stores as NULL when
// the event leaves them empty, with partial indexes (WHERE col IS NOT
// NULL): most events leave most of them empty, and an empty value then
// takes no index entry. An equality on a bound parameter implies NOT NULL
// on both engines, so the partial index still serves col = ?; "equals
// empty" is col IS NULL, checked on the rows another index yields.
var Sparse = map[string]bool{
	"e.external_ref": true, "e.actor_id": true, "e.subject_id": true,
	"e.request_id": true, "e.session_id": true, "e.target_id": true,
}

// filters writes the predicates of f except its time bounds, each preceded
// by " AND ". Event columns are qualified with e. A one-value filter may use
// its own index when that index yields the page's order (timeIndexed ones
// when events are read in time order, the sort column's when sorting by
// it); everything else is kept off its index, because reading it would
// need a sort of every matching row.
func (b *Builder) filters(f *store.Filter, drv driver, sortField store.SortField) {
	sortCol := ""
	if drv == byEvents {
		sortCol = SortColumn(sortField)
	}
	col := func(c string, n int) string {
		if n == 1 && ((sortCol == "e.occurred_at" && timeIndexed[c]) || sortCol == c) {
			return c
		}
		return b.d.noIndex(c)
	}
	if len(f.IDs) > 0 {
		b.W(" AND ")
		In(b, "e.id", f.IDs) // a handful of rows: their sort costs nothing
	}
	if len(f.UUIDs) > 0 {
		vals := make([]any, len(f.UUIDs))
		for i, u := range f.UUIDs {
			vals[i] = b.d.UUID(u)
		}
		b.W(" AND ")
		In(b, col("e.uuid", len(vals)), vals)
	}
	for _, c := range []struct {
		col  string
		vals []string
	}{
		{"e.category", f.Categories},
		{"e.action", f.Actions},
		{"e.action_type", f.ActionTypes},
		{"e.status", f.Statuses},
		{"e.external_ref", f.ExternalRefs},
		{"e.context", f.Contexts},
		{"e.request_id", f.RequestIDs},
		{"e.session_id", f.SessionIDs},
		{"e.channel", f.Channels},
		{"e.source", f.Sources},
		{"e.actor_type", f.ActorTypes},
		{"e.actor_id", f.ActorIDs},
		{"e.subject_type", f.SubjectTypes},
		{"e.subject_id", f.SubjectIDs},
		{"e.target_type", f.PrimaryTargetTypes},
		{"e.target_id", f.PrimaryTargetIDs},
	} {
		if len(c.vals) == 0 {
			continue
		}
		if !Sparse[c.col] || !slices.Contains(c.vals, "") {
			b.W(" AND ")
			In(b, col(c.col, len(c.vals)), c.vals)
			continue
		}
		// A sparse column holds NULL for an empty value (see Sparse).
		var set []string
		for _, v := range c.vals {
			if v != "" {
				set = append(set, v)
			}
		}
		b.W(" AND (")
		if len(set) > 0 {
			In(b, b.d.noIndex(c.col), set)
			b.W(" OR ")
		}
		b.W(b.d.noIndex(c.col), " IS NULL)")
	}
	if len(f.Levels) > 0 {
		b.W(" AND ")
		In(b, b.d.noIndex("e.level"), f.Levels)
	}
	b.prefixes(b.d.noIndex("e.action"), f.ActionPrefixes)
	b.prefixes(b.d.noIndex("e.target_type"), f.PrimaryTargetTypePrefixes)
	if f.ActorEmailContains != "" {
		b.W(" AND e.actor_email ", b.d.ILike, " ").Arg("%" + EscapeLike(f.ActorEmailContains) + "%").W(` ESCAPE '\'`)
	}
	// A few targets or label keys are an EXISTS each, which the planners
	// may run as semi-joins. Past maxSemiJoins they are one correlated
	// count instead: both planners search the orders of every semi-join,
	// which grows exponentially (eight targets over a scope read tenant by
	// tenant took seconds to plan on either engine, sixteen minutes); an
	// aggregate subquery is not flattened, so it is planned once, and it
	// reads the candidate's own rows by primary key.
	ts := distinctTargets(f.Targets)
	if len(ts) <= maxSemiJoins {
		for _, t := range ts {
			b.W(" AND EXISTS (SELECT 1 FROM event_targets t WHERE t.tenant_pk = e.tenant_pk AND t.type = ").Arg(t.Type).
				W(" AND t.target_id = ").Arg(t.ID).W(" AND t.occurred_at = e.occurred_at AND t.event_id = e.id)")
		}
	} else {
		b.W(" AND (SELECT COUNT(*) FROM event_targets t WHERE t.tenant_pk = e.tenant_pk AND t.occurred_at = e.occurred_at AND t.event_id = e.id AND (")
		for i, t := range ts {
			if i > 0 {
				b.W(" OR ")
			}
			b.W("(t.type = ").Arg(t.Type).W(" AND t.target_id = ").Arg(t.ID).W(")")
		}
		b.W(")) = ").Arg(len(ts))
	}
	keys := sortedKeys(f.Labels)
	if len(keys) <= maxSemiJoins {
		for _, k := range keys {
			b.W(" AND EXISTS (SELECT 1 FROM event_labels l WHERE l.tenant_pk = e.tenant_pk AND l.key = ").Arg(k).W(" AND ")
			In(b, "l.value", f.Labels[k])
			b.W(" AND l.occurred_at = e.occurred_at AND l.event_id = e.id)")
		}
	} else {
		b.W(" AND (SELECT COUNT(DISTINCT l.key) FROM event_labels l WHERE l.tenant_pk = e.tenant_pk AND l.occurred_at = e.occurred_at AND l.event_id = e.id AND (")
		for i, k := range keys {
			if i > 0 {
				b.W(" OR ")
			}
			b.W("(l.key = ").Arg(k).W(" AND ")
			In(b, "l.value", f.Labels[k])
			b.W(")")
		}
		b.W(")) = ").Arg(len(keys))
	}
}

// maxSemiJoins is the most targets, and label keys, written as an EXISTS
// each; more are one correlated count (see filters).
const maxSemiJoins = 2

// distinctTargets is ts without repeats: an event holds each target once,
// so a count of matches equals the number of distinct ones asked for.
func distinctTargets(ts []store.TargetRef) []store.TargetRef {
	var out []store.TargetRef
	for _, t := range ts {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// timeBounds writes the occurred_at bounds of f against col.
func (b *Builder) timeBounds(col string, f *store.Filter) {
	if !f.OccurredFrom.IsZero() {
		b.W(" AND ", col, " >= ").Arg(b.d.Time(f.OccurredFrom))
	}
	if !f.OccurredUntil.IsZero() {
		b.W(" AND ", col, " < ").Arg(b.d.Time(f.OccurredUntil))
	}
}

// Where writes every predicate of f, time bounds included, for callers
// that read events without a page (counts, exports).
func (b *Builder) Where(f *store.Filter) {
	b.filters(f, byEvents, store.ByOccurredAt)
	b.timeBounds("e.occurred_at", f)
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// prefixes writes "col starts with any of ps" as ranges, which are exact
// and bytewise on both engines where LIKE would not be (SQLite's LIKE
// ignores ASCII case), and which an index over col could serve.
func (b *Builder) prefixes(col string, ps []string) {
	if len(ps) == 0 {
		return
	}
	b.W(" AND (")
	for i, p := range ps {
		if i > 0 {
			b.W(" OR ")
		}
		if p == "" {
			b.W("1 = 1")
			continue
		}
		b.W("(", col, " >= ").Arg(p)
		if hi, ok := prefixUpper(p); ok {
			b.W(" AND ", col, " < ").Arg(hi)
		}
		b.W(")")
	}
	b.W(")")
}

// prefixUpper returns the least UTF-8 string greater than every string
// with prefix p, when there is one. Both engines compare these columns bytewise
// (SQLite's BINARY, PostgreSQL's "C" collation), and UTF-8's byte order is
// its code point order, so for valid UTF-8 that bound is p with its last
// code point replaced by the next one: every string that starts with p
// sorts below it, every other string at or above p sorts at or above it.
// Incrementing the last byte instead would give the same order but not
// always UTF-8 ("\x7f" → "\x80", "¿" → "\xc2\xc0"), which PostgreSQL
// refuses as a parameter. Surrogates are skipped (no valid string holds
// one); after U+10FFFF, the last code point is dropped and the one before
// it is stepped instead; a p of only U+10FFFF has no bound.
//
// A p that is not valid UTF-8 (no stored string is) keeps the byte
// increment: it is exact bytewise, and PostgreSQL refuses p itself anyway.
func prefixUpper(p string) (string, bool) {
	if !utf8.ValidString(p) {
		return byteUpper(p)
	}
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		switch {
		case r == utf8.MaxRune:
			continue
		case r == surrogateMin-1:
			r = surrogateMax + 1
		default:
			r++
		}
		return p + string(r), true
	}
	return "", false
}

// The UTF-16 surrogates, which are not code points UTF-8 may encode.
const (
	surrogateMin = 0xD800
	surrogateMax = 0xDFFF
)

// byteUpper is prefixUpper over bytes: the last byte below 0xFF, plus one.
func byteUpper(p string) (string, bool) {
	bs := []byte(p)
	for i := len(bs) - 1; i >= 0; i-- {
		if bs[i] < 0xff {
			bs[i]++
			return string(bs[:i+1]), true
		}
	}
	return "", false
}

// SortColumn is the event column a sort field orders by.
func SortColumn(f store.SortField) string {
	switch f {
	case store.ByActorType:
		return "e.actor_type"
	case store.ByTargetType:
		return "e.target_type"
	case store.ByActionType:
		return "e.action_type"
	}
	return "e.occurred_at"
}

// IndexedColumns are the columns of the derived events table: only what a
// filter, a sort or a page's key query reads. A page's event columns come
// from the log (Find), so the derived table keeps no bodies.
const IndexedColumns = `id, tenant_pk, uuid, occurred_at, category, action, action_type, status, level,
	actor_type, actor_id, actor_email, target_type, target_id, subject_type, subject_id,
	external_ref, context, request_id, session_id, channel, source`

// IndexedFromLog selects IndexedColumns from an event_log row, the Sparse
// ones NULL where empty.
const IndexedFromLog = `id, tenant_pk, uuid, occurred_at, category, action, action_type, status, level,
	actor_type, NULLIF(actor_id, ''), actor_email, target_type, NULLIF(target_id, ''), subject_type, NULLIF(subject_id, ''),
	NULLIF(external_ref, ''), context, NULLIF(request_id, ''), NULLIF(session_id, ''), channel, source`
