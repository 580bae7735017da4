package event

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxFuture is how far past the time of receipt occurred_at may lie. Clocks
// drift; a day is generous for drift and still rejects a mistyped year.
const MaxFuture = 24 * time.Hour

// minOccurredAt bounds occurred_at from below, exclusively. No audited
// system acted before the Unix epoch, and the dates at or before it that
// writers send (0001-01-01, 1900-01-01, 1970-01-01T00:00:00Z) are zero
// values of some clock, not times: storing one would put the event at
// the start of every time-ordered read and hide that its time is unknown.
var minOccurredAt = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

const occurredRange = "must be after 1970-01-01T00:00:00Z and at most 24h after the time of receipt"

// Normalize validates e as a writer sent it and fills in the defaults:
// occurred_at = now, action_type active, status success, level 1. Times are
// kept to microseconds, in UTC. Metadata and change values are put in
// canonical form. The first problem found is returned as a *FieldError.
func Normalize(e *Event, now time.Time) error {
	if err := checkText("idempotency_key", e.IdempotencyKey, MaxIdempotencyKey); err != nil {
		return err
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = now
	}
	e.OccurredAt = e.OccurredAt.UTC().Truncate(time.Microsecond)
	if !e.OccurredAt.After(minOccurredAt) || e.OccurredAt.After(now.Add(MaxFuture)) {
		return Invalid("occurred_at", occurredRange)
	}
	if strings.TrimSpace(e.Action) == "" {
		return Invalid("action", "is required and must not be empty")
	}
	for _, f := range []struct {
		name string
		val  string
		max  int
	}{
		{"category", e.Category, MaxShortText},
		{"action", e.Action, MaxShortText},
		{"summary", e.Summary, MaxSummary},
		{"details", e.Details, MaxLongText},
		{"actor.type", e.Actor.Type, MaxShortText},
		{"actor.id", e.Actor.ID, MaxShortText},
		{"actor.name", e.Actor.Name, MaxShortText},
		{"actor.email", e.Actor.Email, MaxShortText},
		{"subject.type", e.Subject.Type, MaxShortText},
		{"subject.id", e.Subject.ID, MaxShortText},
		{"external_ref", e.ExternalRef, MaxShortText},
		{"context", e.Context, MaxShortText},
		{"request_id", e.RequestID, MaxShortText},
		{"session_id", e.SessionID, MaxShortText},
		{"channel", e.Channel, MaxShortText},
		{"source", e.Source, MaxShortText},
		{"reason", e.Reason, MaxLongText},
	} {
		if err := checkText(f.name, f.val, f.max); err != nil {
			return err
		}
	}
	switch e.ActionType {
	case "":
		e.ActionType = Active
	case Active, Passive:
	default:
		return Invalid("action_type", "must be %q or %q", Active, Passive)
	}
	switch e.Status {
	case "":
		e.Status = Success
	case Success, Failure, Info:
	default:
		return Invalid("status", "must be %q, %q or %q", Success, Failure, Info)
	}
	switch {
	case e.Level == 0:
		e.Level = 1
	case e.Level < 1 || e.Level > 3:
		return Invalid("level", "must be 1, 2 or 3")
	}
	if (e.Subject.Type == "") != (e.Subject.ID == "") {
		return Invalid("subject", "needs both type and id")
	}
	if err := normalizeTargets(e); err != nil {
		return err
	}
	if err := normalizeChanges(e); err != nil {
		return err
	}
	if err := checkLabels(e.Labels); err != nil {
		return err
	}
	if e.Metadata != nil {
		if len(e.Metadata) > MaxMetadata {
			return Invalid("metadata", "must be at most %d bytes", MaxMetadata)
		}
		c, err := Canonical(e.Metadata)
		if err != nil {
			return Invalid("metadata", "%v", err)
		}
		if len(c) == 0 || c[0] != '{' {
			return Invalid("metadata", "must be a JSON object")
		}
		e.Metadata = c
	}
	if e.Payload != nil {
		if len(e.Payload) > MaxPayload {
			return Invalid("payload", "must be at most %d bytes", MaxPayload)
		}
		c, err := Canonical(e.Payload)
		if err != nil {
			return Invalid("payload", "%v", err)
		}
		if string(c) == "null" {
			c = nil
		}
		e.Payload = c
	}
	return nil
}

func normalizeTargets(e *Event) error {
	if len(e.Targets) > MaxTargets {
		return Invalid("targets", "must hold at most %d targets", MaxTargets)
	}
	for i, t := range e.Targets {
		if t.Type == "" || t.ID == "" {
			return Invalid(indexed("targets", i), "needs both type and id")
		}
		for _, f := range []struct{ name, val string }{{"type", t.Type}, {"id", t.ID}, {"name", t.Name}} {
			if err := checkText(indexed("targets", i)+"."+f.name, f.val, MaxShortText); err != nil {
				return err
			}
		}
	}
	if len(e.Targets) == 0 {
		e.Targets = nil
	}
	return nil
}

func normalizeChanges(e *Event) error {
	if len(e.Changes) > MaxChanges {
		return Invalid("changes", "must hold at most %d changes", MaxChanges)
	}
	for i := range e.Changes {
		c := &e.Changes[i]
		if c.Field == "" {
			return Invalid(indexed("changes", i)+".field", "is required")
		}
		if err := checkText(indexed("changes", i)+".field", c.Field, MaxShortText); err != nil {
			return err
		}
		for _, v := range []struct {
			name string
			val  *[]byte
		}{{"old", (*[]byte)(&c.Old)}, {"new", (*[]byte)(&c.New)}} {
			if *v.val == nil {
				continue
			}
			canon, err := Canonical(*v.val)
			if err != nil {
				return Invalid(indexed("changes", i)+"."+v.name, "%v", err)
			}
			if string(canon) == "null" {
				canon = nil
			}
			*v.val = canon
		}
	}
	if len(e.Changes) == 0 {
		e.Changes = nil
	}
	return nil
}

// ValidLabelKey reports whether k may be a label key: 1 to 64 ASCII letters,
// digits, '_', '-', '.' or ':'. Keys appear in query parameters
// (label.KEY=V), so they are kept to characters that need no escaping.
func ValidLabelKey(k string) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '_', c == '-', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

func checkLabels(labels map[string]string) error {
	if len(labels) > MaxLabels {
		return Invalid("labels", "must hold at most %d labels", MaxLabels)
	}
	for k, v := range labels {
		if !ValidLabelKey(k) {
			return Invalid("labels", "key %q must be 1-64 characters of A-Z a-z 0-9 _ - . :", k)
		}
		if err := checkText("labels."+k, v, MaxLabelValue); err != nil {
			return err
		}
	}
	return nil
}

// ValidText reports whether s can be stored and compared as text on every
// engine: PostgreSQL refuses invalid UTF-8 and NUL. No stored field holds
// either, so a filter value with them is a client's mistake.
func ValidText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

func checkText(field, s string, max int) error {
	if len(s) > max {
		return Invalid(field, "must be at most %d bytes", max)
	}
	if !utf8.ValidString(s) {
		return Invalid(field, "must be valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Invalid(field, "must not contain NUL characters")
	}
	return nil
}

func indexed(name string, i int) string {
	return name + "[" + strconv.Itoa(i) + "]"
}
