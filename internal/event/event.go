package event

import (
	"crypto/sha256"
	"encoding/json"
	"io"
	"time"

	"github.com/google/uuid"
)

// ActionType says whether an event records a write (active) or a read (passive).
type ActionType string

// Action types.
const (
	Active  ActionType = "active"
	Passive ActionType = "passive"
)

// Status is the outcome of the recorded operation.
type Status string

// Statuses.
const (
	Success Status = "success"
	Failure Status = "failure"
	Info    Status = "info"
)

// Event is the canonical audit event. Fields after the blank line in the
// struct are assigned by auditkeep at commit; a writer never sets them.
type Event struct {
	IdempotencyKey string
	UUID           uuid.UUID
	OccurredAt     time.Time
	Category       string
	Action         string
	ActionType     ActionType
	Status         Status
	Level          int
	Summary        string
	Details        string
	Actor          Actor
	Targets        []Target
	Subject        Subject
	ExternalRef    string
	Context        string
	RequestID      string
	SessionID      string
	Channel        string
	Source         string
	Changes        []Change
	Reason         string
	Labels         map[string]string
	// Metadata is a JSON object in canonical form (see Canonical), or nil.
	Metadata json.RawMessage
	// Payload is the sealed personal data as the writer sent it. It is only
	// set on the way in; reads never return it.
	Payload json.RawMessage
	// PayloadDigest commits to the sealed payload: SHA-256 over a random
	// salt and the payload, so that erasing payload and salt later leaves the
	// ledger's proofs valid without making the payload guessable.
	PayloadDigest []byte
	// PayloadSalt is the salt of PayloadDigest, kept beside the payload and
	// destroyed with it.
	PayloadSalt []byte

	ID         int64
	Seq        int64
	TenantID   uuid.UUID
	RecordedAt time.Time
}

// Actor is who did it: a user, an API key, a system.
type Actor struct {
	Type  string
	ID    string
	Name  string
	Email string
}

// IsZero reports whether no actor field is set.
func (a Actor) IsZero() bool { return a == Actor{} }

// Target is what the action was done to. The first target of an event is its
// primary object; the rest are the containers it belongs to.
type Target struct {
	Type string
	ID   string
	Name string
}

// Subject is the natural or legal person the data is about: the unit of
// erasure.
type Subject struct {
	Type string
	ID   string
}

// IsZero reports whether no subject field is set.
func (s Subject) IsZero() bool { return s == Subject{} }

// Change is one before/after value. Old and New hold canonical JSON values,
// or nil when absent.
type Change struct {
	Field string
	Old   json.RawMessage
	New   json.RawMessage
}

// PrimaryTarget returns the first target, or the zero Target.
func (e *Event) PrimaryTarget() Target {
	if len(e.Targets) == 0 {
		return Target{}
	}
	return e.Targets[0]
}

// Limits on field sizes. They keep one event well under a page of storage and
// make oversize input an error rather than a surprise.
const (
	MaxIdempotencyKey = 255
	MaxShortText      = 255   // category, action, types, ids, names, refs
	MaxSummary        = 1024  // summary
	MaxLongText       = 16384 // details, reason
	MaxTargets        = 16
	MaxChanges        = 256
	MaxLabels         = 64
	MaxLabelValue     = 1024
	MaxMetadata       = 64 << 10
	MaxPayload        = 256 << 10
)

// CommitPayload salts and digests the payload, if any, so the ledger can
// commit to it without holding it. rnd supplies the salt.
func (e *Event) CommitPayload(rnd io.Reader) error {
	if e.Payload == nil {
		return nil
	}
	salt := make([]byte, 32)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return err
	}
	h := sha256.New()
	h.Write(salt)
	h.Write(e.Payload)
	e.PayloadSalt = salt
	e.PayloadDigest = h.Sum(nil)
	return nil
}

// DefaultMaxSize is the default bound on Size: four times the largest
// metadata object, big enough for any event a writer means to send and
// small enough that a page of maximum-size events stays a few megabytes.
const DefaultMaxSize = 256 << 10

// fixedSize stands for the fixed-width fields (ids, seq, times, level,
// enums), so that Size counts what a row costs, not only its texts.
const fixedSize = 64

// Size is the event's size as stored: every text, targets, changes with
// their values, labels, metadata and payload, together. It is what the
// ingest bound on one event (--max-event-bytes) measures, after
// Normalize has put the JSON parts in canonical form.
func (e *Event) Size() int {
	n := fixedSize + len(e.IdempotencyKey) + len(e.Category) + len(e.Action) +
		len(e.ActionType) + len(e.Status) + len(e.Summary) + len(e.Details) +
		len(e.Actor.Type) + len(e.Actor.ID) + len(e.Actor.Name) + len(e.Actor.Email) +
		len(e.Subject.Type) + len(e.Subject.ID) + len(e.ExternalRef) + len(e.Context) +
		len(e.RequestID) + len(e.SessionID) + len(e.Channel) + len(e.Source) +
		len(e.Reason) + len(e.Metadata) + len(e.Payload)
	for _, t := range e.Targets {
		n += len(t.Type) + len(t.ID) + len(t.Name)
	}
	for _, c := range e.Changes {
		n += len(c.Field) + len(c.Old) + len(c.New)
	}
	for k, v := range e.Labels {
		n += len(k) + len(v)
	}
	return n
}
