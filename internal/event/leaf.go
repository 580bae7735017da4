package event

import (
	"bytes"
	"encoding/hex"
	"slices"
	"strconv"
	"time"
)

// LeafVersion is the version of the leaf encoding below. A change to the
// encoding is a new version; old leaves keep theirs.
const LeafVersion = 1

// TimeLayout is how the leaf encoding and the native API write times: UTC,
// exactly six fractional digits.
const TimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// FormatTime writes t in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// LeafData is the canonical encoding of a committed event that the ledger
// hashes into its Merkle tree: a canonical JSON object (see Canonical) with
// every field below always present, empty values written as "", null, [] or
// {}. The sealed payload enters only through its digest. docs/ledger.md
// specifies it for other implementations.
func LeafData(e *Event) []byte {
	var b bytes.Buffer
	b.Grow(512)
	// Members in byte order of their keys, as Canonical requires.
	b.WriteByte('{')
	str := func(k, v string) {
		WriteCanonicalString(&b, k)
		b.WriteByte(':')
		WriteCanonicalString(&b, v)
		b.WriteByte(',')
	}
	num := func(k string, v int64) {
		WriteCanonicalString(&b, k)
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(v, 10))
		b.WriteByte(',')
	}
	raw := func(k string, v []byte) {
		WriteCanonicalString(&b, k)
		b.WriteByte(':')
		if v == nil {
			b.WriteString("null")
		} else {
			b.Write(v)
		}
		b.WriteByte(',')
	}
	str("action", e.Action)
	str("action_type", string(e.ActionType))
	WriteCanonicalString(&b, "actor")
	b.WriteString(":{")
	str("email", e.Actor.Email)
	str("id", e.Actor.ID)
	str("name", e.Actor.Name)
	WriteCanonicalString(&b, "type")
	b.WriteByte(':')
	WriteCanonicalString(&b, e.Actor.Type)
	b.WriteString("},")
	str("category", e.Category)
	WriteCanonicalString(&b, "changes")
	b.WriteString(":[")
	for i, c := range e.Changes {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		str("field", c.Field)
		raw("new", c.New)
		WriteCanonicalString(&b, "old")
		b.WriteByte(':')
		if c.Old == nil {
			b.WriteString("null")
		} else {
			b.Write(c.Old)
		}
		b.WriteByte('}')
	}
	b.WriteString("],")
	str("channel", e.Channel)
	str("context", e.Context)
	str("details", e.Details)
	str("external_ref", e.ExternalRef)
	num("id", e.ID)
	str("idempotency_key", e.IdempotencyKey)
	WriteCanonicalString(&b, "labels")
	b.WriteString(":{")
	keys := make([]string, 0, len(e.Labels))
	for k := range e.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		WriteCanonicalString(&b, k)
		b.WriteByte(':')
		WriteCanonicalString(&b, e.Labels[k])
	}
	b.WriteString("},")
	num("level", int64(e.Level))
	if e.Metadata == nil {
		raw("metadata", []byte("{}"))
	} else {
		raw("metadata", e.Metadata)
	}
	str("occurred_at", FormatTime(e.OccurredAt))
	str("payload_digest", hex.EncodeToString(e.PayloadDigest))
	str("reason", e.Reason)
	str("recorded_at", FormatTime(e.RecordedAt))
	str("request_id", e.RequestID)
	num("seq", e.Seq)
	str("session_id", e.SessionID)
	str("source", e.Source)
	str("status", string(e.Status))
	WriteCanonicalString(&b, "subject")
	b.WriteString(":{")
	str("id", e.Subject.ID)
	WriteCanonicalString(&b, "type")
	b.WriteByte(':')
	WriteCanonicalString(&b, e.Subject.Type)
	b.WriteString("},")
	str("summary", e.Summary)
	WriteCanonicalString(&b, "targets")
	b.WriteString(":[")
	for i, t := range e.Targets {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		str("id", t.ID)
		str("name", t.Name)
		WriteCanonicalString(&b, "type")
		b.WriteByte(':')
		WriteCanonicalString(&b, t.Type)
		b.WriteByte('}')
	}
	b.WriteString("],")
	str("tenant", e.TenantID.String())
	str("uuid", e.UUID.String())
	WriteCanonicalString(&b, "v")
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(LeafVersion))
	b.WriteByte('}')
	return b.Bytes()
}
