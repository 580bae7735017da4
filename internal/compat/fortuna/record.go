package fortuna

import (
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// recordPage is the answer of GET /api/audit/records.
type recordPage struct {
	Page       int                 `json:"page"`
	PageSize   int                 `json:"pageSize"`
	TotalCount int64               `json:"totalCount"`
	Items      httpx.Items[record] `json:"items"`
}

// record is one Fortuna audit record summary.
type record struct {
	ID                int64   `json:"id"`
	ExternalReference string  `json:"externalReference"`
	Context           *string `json:"context"`
	Category          string  `json:"category"`
	Operation         string  `json:"operation"`
	PerformedAt       string  `json:"performedAt"`
	ResultSummary     string  `json:"resultSummary"`
}

// performedAtLayout is the vendor's timestamp: UTC, whole seconds, "Z".
const performedAtLayout = "2006-01-02T15:04:05Z"

// toRecord renders a canonical event. The vendor documents context as
// present only "if provided", and a .NET service serialises an unset
// string as null, so an empty context is null; the other strings are
// always set on the vendor's side and stay strings here.
func toRecord(e *event.Event) record {
	r := record{
		ID:                e.ID,
		ExternalReference: e.ExternalRef,
		Category:          canonicalCategory(e.Category),
		Operation:         canonicalOperation(e.Category, e.Action),
		// Truncated, not rounded: a record never appears to happen later
		// than it did, so it stays inside a to bound that selected it.
		PerformedAt:   e.OccurredAt.UTC().Format(performedAtLayout),
		ResultSummary: e.Summary,
	}
	if e.Context != "" {
		c := e.Context
		r.Context = &c
	}
	return r
}
