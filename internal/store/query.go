package store

import (
	"time"

	"github.com/google/uuid"
)

// Query selects events for Find and Count. The query engine builds it; a
// store only translates it to SQL. Every slice filter is any-of; filters
// combine with AND.
type Query struct {
	// Tenants is the scope: the events of these tenants only. Never empty.
	Tenants []uuid.UUID
	Filter  Filter
	Sort    Sort
	// Limit is how many rows Find returns at most.
	Limit int
	// Offset skips that many rows first (offset pages).
	Offset int
	// After, when set, continues after this row in the sort order (keyset
	// pages). It is the sort key of the last row of the previous page.
	After *SortKey
}

// Filter is the AND of its set fields.
type Filter struct {
	IDs          []int64
	UUIDs        []uuid.UUID
	Categories   []string
	Actions      []string
	ActionTypes  []string
	Statuses     []string
	Levels       []int
	ExternalRefs []string
	Contexts     []string
	RequestIDs   []string
	SessionIDs   []string
	Channels     []string
	Sources      []string
	ActorTypes   []string
	ActorIDs     []string
	SubjectTypes []string
	SubjectIDs   []string

	// ActionPrefixes: the action starts with any of these.
	ActionPrefixes []string
	// ActorEmailContains: case-insensitive substring of actor.email.
	ActorEmailContains string

	// Targets: for each entry, some target of the event has that type and
	// id (anywhere in targets). Several entries must all be present.
	Targets []TargetRef
	// PrimaryTargetTypes, PrimaryTargetIDs: targets[0] has one of these.
	PrimaryTargetTypes []string
	PrimaryTargetIDs   []string
	// PrimaryTargetTypePrefixes: targets[0].type starts with one of these.
	PrimaryTargetTypePrefixes []string

	// Labels: for each key, the label's value is one of the values.
	Labels map[string][]string

	// OccurredFrom is inclusive, OccurredUntil exclusive; zero means open.
	// The engine turns >, ≤ into these using microsecond steps.
	OccurredFrom  time.Time
	OccurredUntil time.Time
}

// TargetRef is a target type and id.
type TargetRef struct {
	Type string
	ID   string
}

// SortField is what events are ordered by; id always breaks ties.
type SortField int

// Sort fields.
const (
	ByOccurredAt SortField = iota
	ByActorType
	ByTargetType
	ByActionType
)

// Sort orders events by Field, then id, both ascending or both descending.
type Sort struct {
	Field SortField
	Desc  bool
}

// SortKey is one row's position in a sort order: the sort field's value
// (Time for ByOccurredAt, Str otherwise) and the id.
type SortKey struct {
	Time time.Time
	Str  string
	ID   int64
}

// IsZero reports whether the filter selects every event.
func (f *Filter) IsZero() bool {
	return len(f.IDs) == 0 && len(f.UUIDs) == 0 && len(f.Categories) == 0 && len(f.Actions) == 0 &&
		len(f.ActionTypes) == 0 && len(f.Statuses) == 0 && len(f.Levels) == 0 && len(f.ExternalRefs) == 0 &&
		len(f.Contexts) == 0 && len(f.RequestIDs) == 0 && len(f.SessionIDs) == 0 && len(f.Channels) == 0 &&
		len(f.Sources) == 0 && len(f.ActorTypes) == 0 && len(f.ActorIDs) == 0 && len(f.SubjectTypes) == 0 &&
		len(f.SubjectIDs) == 0 && len(f.ActionPrefixes) == 0 && f.ActorEmailContains == "" && len(f.Targets) == 0 &&
		len(f.PrimaryTargetTypes) == 0 && len(f.PrimaryTargetIDs) == 0 && len(f.PrimaryTargetTypePrefixes) == 0 &&
		len(f.Labels) == 0 && f.OccurredFrom.IsZero() && f.OccurredUntil.IsZero()
}
