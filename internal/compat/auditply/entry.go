package auditply

import (
	"encoding/json"
	"time"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// timestampLayout is the vendor's timestamp: UTC, milliseconds, "Z".
const timestampLayout = "2006-01-02T15:04:05.000Z"

// apiVersion is what every answer's meta reports.
const apiVersion = "v1"

// meta closes every Auditply answer, errors included.
type meta struct {
	APIVersion string `json:"api_version"`
	Timestamp  string `json:"timestamp"`
}

func newMeta(now time.Time) meta {
	return meta{APIVersion: apiVersion, Timestamp: formatTime(now)}
}

// auditLog is the answer of GET /api/v1/kyc/cases/{id}/audit-log.
type auditLog struct {
	Data       httpx.Items[entry] `json:"data"`
	Pagination pagination         `json:"pagination"`
	Meta       meta               `json:"meta"`
}

type pagination struct {
	Page       int   `json:"page"`
	PageSize   int   `json:"page_size"`
	TotalCount int64 `json:"total_count"`
	TotalPages int64 `json:"total_pages"`
	HasMore    bool  `json:"has_more"`
}

// newPagination derives the page counts from the exact total, so the
// numbers always agree with each other.
func newPagination(page, size int, total int64) pagination {
	pages := (total + int64(size) - 1) / int64(size)
	return pagination{Page: page, PageSize: size, TotalCount: total, TotalPages: pages, HasMore: int64(page) < pages}
}

// entry is one audit log line.
type entry struct {
	ID         int64   `json:"id"`
	User       *string `json:"user"`
	EntityType string  `json:"entity_type"`
	Action     string  `json:"action"`
	Field      *string `json:"field"`
	OldValue   *string `json:"old_value"`
	NewValue   *string `json:"new_value"`
	Reason     *string `json:"reason"`
	Timestamp  string  `json:"timestamp"`
}

// toEntry renders a canonical event.
func toEntry(e *event.Event) entry {
	en := entry{
		ID:         e.ID,
		User:       user(e.Actor),
		EntityType: e.PrimaryTarget().Type,
		Action:     e.Action,
		Reason:     optional(e.Reason),
		Timestamp:  formatTime(e.OccurredAt),
	}
	if len(e.Changes) > 0 {
		c := e.Changes[0]
		en.Field = optional(c.Field)
		en.OldValue = valueText(c.Old)
		en.NewValue = valueText(c.New)
	}
	return en
}

// user names the actor as the vendor's user column does: a display name
// where there is one. An event without any actor detail (a system job) has
// no user: null, not a made-up name.
func user(a event.Actor) *string {
	for _, s := range []string{a.Name, a.Email, a.ID} {
		if s != "" {
			return &s
		}
	}
	return nil
}

// valueText renders a change value as the vendor's string columns hold
// it: a JSON string is its text, any other JSON value its compact JSON
// text (canonical values are already compact), and an absent value null.
func valueText(v json.RawMessage) *string {
	if v == nil {
		return nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return &s
	}
	t := string(v)
	return &t
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// formatTime truncates to milliseconds: an entry never appears to happen
// later than it did.
func formatTime(t time.Time) string { return t.UTC().Format(timestampLayout) }
