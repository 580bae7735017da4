package store

import (
	"cmp"
	"slices"
	"strings"

	"github.com/auditkeep/auditkeep/internal/event"
)

// Match reports whether e passes the filter, with the meaning the engines'
// SQL gives it: the reads of the not-yet-indexed tail of the log
// (tail.go) filter in Go with it, so it must select exactly what the
// indexes would. Strings compare bytewise (SQLite's BINARY, PostgreSQL's
// "C" collation); fold is the engine's case folding for
// ActorEmailContains (SQLite's LIKE folds ASCII only, PostgreSQL's ILIKE
// folds Unicode).
func (f *Filter) Match(e *event.Event, fold func(string) string) bool {
	in := func(vals []string, v string) bool { return len(vals) == 0 || slices.Contains(vals, v) }
	pt := e.PrimaryTarget()
	if !(in(f.Categories, e.Category) && in(f.Actions, e.Action) && in(f.ActionTypes, string(e.ActionType)) &&
		in(f.Statuses, string(e.Status)) && in(f.ExternalRefs, e.ExternalRef) && in(f.Contexts, e.Context) &&
		in(f.RequestIDs, e.RequestID) && in(f.SessionIDs, e.SessionID) && in(f.Channels, e.Channel) &&
		in(f.Sources, e.Source) && in(f.ActorTypes, e.Actor.Type) && in(f.ActorIDs, e.Actor.ID) &&
		in(f.SubjectTypes, e.Subject.Type) && in(f.SubjectIDs, e.Subject.ID) &&
		in(f.PrimaryTargetTypes, pt.Type) && in(f.PrimaryTargetIDs, pt.ID) &&
		prefixed(f.ActionPrefixes, e.Action) && prefixed(f.PrimaryTargetTypePrefixes, pt.Type)) {
		return false
	}
	if len(f.IDs) > 0 && !slices.Contains(f.IDs, e.ID) {
		return false
	}
	if len(f.UUIDs) > 0 && !slices.Contains(f.UUIDs, e.UUID) {
		return false
	}
	if len(f.Levels) > 0 && !slices.Contains(f.Levels, e.Level) {
		return false
	}
	if f.ActorEmailContains != "" && !strings.Contains(fold(e.Actor.Email), fold(f.ActorEmailContains)) {
		return false
	}
	for _, want := range f.Targets {
		if !slices.ContainsFunc(e.Targets, func(t event.Target) bool { return t.Type == want.Type && t.ID == want.ID }) {
			return false
		}
	}
	for k, vals := range f.Labels {
		v, ok := e.Labels[k]
		if !ok || !slices.Contains(vals, v) {
			return false
		}
	}
	if !f.OccurredFrom.IsZero() && e.OccurredAt.Before(f.OccurredFrom) {
		return false
	}
	if !f.OccurredUntil.IsZero() && !e.OccurredAt.Before(f.OccurredUntil) {
		return false
	}
	return true
}

func prefixed(ps []string, v string) bool {
	if len(ps) == 0 {
		return true
	}
	for _, p := range ps {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// FoldASCII lowers ASCII letters only, as SQLite's LIKE compares.
func FoldASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// KeyOf is e's position in a sort order.
func KeyOf(s SortField, e *event.Event) SortKey {
	k := SortKey{ID: e.ID}
	switch s {
	case ByOccurredAt:
		k.Time = e.OccurredAt
	case ByActorType:
		k.Str = e.Actor.Type
	case ByTargetType:
		k.Str = e.PrimaryTarget().Type
	case ByActionType:
		k.Str = string(e.ActionType)
	}
	return k
}

// Compare orders two keys of one sort field ascending, id breaking ties.
func (k SortKey) Compare(s SortField, o SortKey) int {
	var c int
	if s == ByOccurredAt {
		c = k.Time.Compare(o.Time)
	} else {
		c = strings.Compare(k.Str, o.Str)
	}
	if c == 0 {
		c = cmp.Compare(k.ID, o.ID)
	}
	return c
}

// compare orders events as the sort does.
func (s Sort) compare(a, b *event.Event) int {
	c := KeyOf(s.Field, a).Compare(s.Field, KeyOf(s.Field, b))
	if s.Desc {
		return -c
	}
	return c
}
