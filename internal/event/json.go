package event

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
)

// JSON is the canonical event's wire form: what POST /v1/events takes, what
// the native API returns and what an NDJSON export holds, one per line.
// Empty fields are left out on the way out.
type JSON struct {
	ID             int64             `json:"id,omitempty"`
	UUID           string            `json:"uuid,omitempty"`
	Seq            *int64            `json:"seq,omitempty"`
	Tenant         string            `json:"tenant,omitempty"`
	RecordedAt     string            `json:"recorded_at,omitempty"`
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
	OccurredAt     string            `json:"occurred_at,omitempty"`
	Category       string            `json:"category,omitempty"`
	Action         string            `json:"action"`
	ActionType     string            `json:"action_type,omitempty"`
	Status         string            `json:"status,omitempty"`
	Level          *int              `json:"level,omitempty"`
	Summary        string            `json:"summary,omitempty"`
	Details        string            `json:"details,omitempty"`
	Actor          *ActorJSON        `json:"actor,omitempty"`
	Targets        []TargetJSON      `json:"targets,omitempty"`
	Subject        *SubjectJSON      `json:"subject,omitempty"`
	ExternalRef    string            `json:"external_ref,omitempty"`
	Context        string            `json:"context,omitempty"`
	RequestID      string            `json:"request_id,omitempty"`
	SessionID      string            `json:"session_id,omitempty"`
	Channel        string            `json:"channel,omitempty"`
	Source         string            `json:"source,omitempty"`
	Changes        []ChangeJSON      `json:"changes,omitempty"`
	Reason         string            `json:"reason,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	Metadata       json.RawMessage   `json:"metadata,omitempty"`
	Payload        json.RawMessage   `json:"payload,omitempty"`
	PayloadDigest  string            `json:"payload_digest,omitempty"`
}

// ActorJSON is the wire form of Actor.
type ActorJSON struct {
	Type  string `json:"type,omitempty"`
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// TargetJSON is the wire form of Target.
type TargetJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// SubjectJSON is the wire form of Subject.
type SubjectJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// ChangeJSON is the wire form of Change.
type ChangeJSON struct {
	Field string          `json:"field"`
	Old   json.RawMessage `json:"old"`
	New   json.RawMessage `json:"new"`
}

// ToJSON renders a committed event. The payload itself is never rendered;
// its digest is, so an export can be verified.
func ToJSON(e *Event) JSON {
	seq := e.Seq
	j := JSON{
		ID:             e.ID,
		Seq:            &seq,
		RecordedAt:     FormatTime(e.RecordedAt),
		IdempotencyKey: e.IdempotencyKey,
		OccurredAt:     FormatTime(e.OccurredAt),
		Category:       e.Category,
		Action:         e.Action,
		ActionType:     string(e.ActionType),
		Status:         string(e.Status),
		Summary:        e.Summary,
		Details:        e.Details,
		ExternalRef:    e.ExternalRef,
		Context:        e.Context,
		RequestID:      e.RequestID,
		SessionID:      e.SessionID,
		Channel:        e.Channel,
		Source:         e.Source,
		Reason:         e.Reason,
		Labels:         e.Labels,
		Metadata:       e.Metadata,
	}
	if e.UUID != uuid.Nil {
		j.UUID = e.UUID.String()
	}
	if e.TenantID != uuid.Nil {
		j.Tenant = e.TenantID.String()
	}
	level := e.Level
	j.Level = &level
	if !e.Actor.IsZero() {
		j.Actor = &ActorJSON{Type: e.Actor.Type, ID: e.Actor.ID, Name: e.Actor.Name, Email: e.Actor.Email}
	}
	for _, t := range e.Targets {
		j.Targets = append(j.Targets, TargetJSON(t))
	}
	if !e.Subject.IsZero() {
		j.Subject = &SubjectJSON{Type: e.Subject.Type, ID: e.Subject.ID}
	}
	for _, c := range e.Changes {
		cj := ChangeJSON(c)
		if cj.Old == nil {
			cj.Old = json.RawMessage("null")
		}
		if cj.New == nil {
			cj.New = json.RawMessage("null")
		}
		j.Changes = append(j.Changes, cj)
	}
	if len(e.PayloadDigest) > 0 {
		j.PayloadDigest = hex.EncodeToString(e.PayloadDigest)
	}
	return j
}

// FromInput turns a writer's event into an Event, checking what the JSON
// types cannot: uuid and time syntax. Fields only auditkeep assigns (id,
// seq, recorded_at, payload_digest) are refused. It returns the tenant the
// writer named, if any. Call Normalize afterwards.
func FromInput(j *JSON) (Event, string, error) {
	var e Event
	switch {
	case j.ID != 0:
		return e, "", Invalid("id", "is assigned by auditkeep and must not be sent")
	case j.Seq != nil:
		return e, "", Invalid("seq", "is assigned by auditkeep and must not be sent")
	case j.RecordedAt != "":
		return e, "", Invalid("recorded_at", "is assigned by auditkeep and must not be sent")
	case j.PayloadDigest != "":
		return e, "", Invalid("payload_digest", "is computed by auditkeep and must not be sent")
	}
	if err := fillCommon(&e, j); err != nil {
		return e, "", err
	}
	if j.OccurredAt != "" {
		t, err := ParseTime(j.OccurredAt)
		if err != nil {
			return e, "", Invalid("occurred_at", "must be an RFC 3339 date-time, like 2024-06-12T09:14:33Z")
		}
		// Checked here, not only in Normalize: 0001-01-01T00:00:00Z is Go's
		// zero time, which Normalize would take for "not sent" and replace
		// by the time of receipt.
		if !t.After(minOccurredAt) {
			return e, "", Invalid("occurred_at", occurredRange)
		}
		e.OccurredAt = t
	}
	if j.Level != nil && *j.Level == 0 {
		return e, "", Invalid("level", "must be 1, 2 or 3")
	}
	e.Payload = j.Payload
	return e, j.Tenant, nil
}

// FromExport reads back an event as ToJSON rendered it, for offline
// verification. Every committed field must be present and well formed.
func FromExport(j *JSON) (Event, error) {
	var e Event
	if err := fillCommon(&e, j); err != nil {
		return e, err
	}
	e.ID = j.ID
	if j.Seq == nil {
		return e, Invalid("seq", "is missing")
	}
	e.Seq = *j.Seq
	var err error
	if e.TenantID, err = uuid.Parse(j.Tenant); err != nil {
		return e, Invalid("tenant", "must be a UUID")
	}
	if e.RecordedAt, err = ParseTime(j.RecordedAt); err != nil {
		return e, Invalid("recorded_at", "must be an RFC 3339 date-time")
	}
	if e.OccurredAt, err = ParseTime(j.OccurredAt); err != nil {
		return e, Invalid("occurred_at", "must be an RFC 3339 date-time")
	}
	if j.PayloadDigest != "" {
		if e.PayloadDigest, err = hex.DecodeString(j.PayloadDigest); err != nil {
			return e, Invalid("payload_digest", "must be hex")
		}
	}
	if j.Metadata != nil {
		if e.Metadata, err = Canonical(j.Metadata); err != nil {
			return e, Invalid("metadata", "%v", err)
		}
	}
	for i := range e.Changes {
		for _, v := range []*json.RawMessage{&e.Changes[i].Old, &e.Changes[i].New} {
			if *v == nil {
				continue
			}
			c, err := Canonical(*v)
			if err != nil {
				return e, Invalid("changes", "%v", err)
			}
			if string(c) == "null" {
				c = nil
			}
			*v = c
		}
	}
	return e, nil
}

func fillCommon(e *Event, j *JSON) error {
	if j.UUID != "" {
		u, err := uuid.Parse(j.UUID)
		if err != nil || len(j.UUID) != 36 {
			return Invalid("uuid", "must be a UUID like 0191f5a7-3d99-7f81-b7ec-962a5f5fdd7c")
		}
		e.UUID = u
	}
	e.IdempotencyKey = j.IdempotencyKey
	e.Category = j.Category
	e.Action = j.Action
	e.ActionType = ActionType(j.ActionType)
	e.Status = Status(j.Status)
	if j.Level != nil {
		e.Level = *j.Level
	}
	e.Summary = j.Summary
	e.Details = j.Details
	if j.Actor != nil {
		e.Actor = Actor{Type: j.Actor.Type, ID: j.Actor.ID, Name: j.Actor.Name, Email: j.Actor.Email}
	}
	for _, t := range j.Targets {
		e.Targets = append(e.Targets, Target(t))
	}
	if j.Subject != nil {
		e.Subject = Subject{Type: j.Subject.Type, ID: j.Subject.ID}
	}
	e.ExternalRef = j.ExternalRef
	e.Context = j.Context
	e.RequestID = j.RequestID
	e.SessionID = j.SessionID
	e.Channel = j.Channel
	e.Source = j.Source
	for _, c := range j.Changes {
		ch := Change(c)
		if string(ch.Old) == "null" {
			ch.Old = nil
		}
		if string(ch.New) == "null" {
			ch.New = nil
		}
		e.Changes = append(e.Changes, ch)
	}
	e.Reason = j.Reason
	if len(j.Labels) > 0 {
		e.Labels = j.Labels
	}
	if j.Metadata != nil && string(j.Metadata) != "null" {
		e.Metadata = j.Metadata
	}
	return nil
}

// ParseTime parses an RFC 3339 date-time (any offset, optional fraction).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// DecodeStrict decodes one JSON value from r into v, refusing unknown
// fields and trailing data, and names the offending field in the error.
// The raw bytes are checked first (see CheckJSON), so invalid text,
// duplicate keys and keys that differ only by case are refused rather than
// silently repaired or resolved last-wins.
func DecodeStrict(r io.Reader, v any) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return jsonError(err)
	}
	return DecodeStrictBytes(raw, v)
}

// DecodeStrictBytes is DecodeStrict over a byte slice.
func DecodeStrictBytes(b []byte, v any) error { return decodeStrict(b, v, false) }

// DecodeExportBytes is DecodeStrictBytes for what auditkeep wrote itself (an
// export line): as strict, but for NUL characters, which metadata and
// change values stored before ingest refused them may hold. An export of
// such an event must still verify.
func DecodeExportBytes(b []byte, v any) error { return decodeStrict(b, v, true) }

func decodeStrict(b []byte, v any, allowNUL bool) error {
	if err := checkJSON(b, v, allowNUL); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return Invalid("", "unexpected data after the JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Invalid("", "unexpected data after the JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return Invalid(field, "must be %s, not %s", jsonKind(te.Type.Kind().String(), te.Type.String()), te.Value)
	case errors.As(err, &se):
		return Invalid("body", "is not valid JSON: %v (at byte %d)", se, se.Offset)
	case errors.Is(err, io.EOF):
		return Invalid("body", "is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Invalid("body", "is not valid JSON: unexpected end of input")
	}
	// encoding/json reports unknown fields only in its message.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return Invalid(strings.Trim(name, `"`), "is not a known field")
	}
	// Anything else (a read error, a body over its limit) keeps its chain.
	return fmt.Errorf("%w: body: %w", ErrInvalid, err)
}

func jsonKind(kind, typ string) string {
	switch kind {
	case "string":
		return "a string"
	case "int", "int64", "int32":
		return "an integer"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	case "ptr":
		return jsonKind(strings.TrimPrefix(typ, "*"), typ)
	}
	return typ
}
