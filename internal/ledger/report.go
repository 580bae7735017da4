package ledger

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"
)

// Report is the outcome of verifying a log against its checkpoints. A CLI
// prints it and exits non-zero unless OK.
type Report struct {
	Origin string    // the checkpoints' origin; "" without checkpoints
	Tenant uuid.UUID // the events' tenant
	// Events is how many events were read. Verification stops at the first
	// failure, so after one it counts only those up to it.
	Events int64
	// Root is the root hash over all events read; zero after a failure.
	Root tlog.Hash
	// Checkpoints is how many checkpoints matched; Newest is the largest of
	// them and Verified its size: events [0, Verified) are proven.
	Checkpoints int
	Newest      Checkpoint
	Verified    int64
	// Unverified counts events past the newest checkpoint: not wrong, only
	// not yet covered by a signature.
	Unverified int64
	// Failure is the first problem found, or nil.
	Failure *Failure
}

// OK reports whether no problem was found.
func (r Report) OK() bool { return r.Failure == nil }

// Err returns the failure as an error, or nil.
func (r Report) Err() error {
	if r.Failure == nil {
		return nil
	}
	return r.Failure
}

// String summarises the report in a few lines for people.
func (r Report) String() string {
	var b strings.Builder
	if r.Origin != "" {
		fmt.Fprintf(&b, "log %s\n", r.Origin)
	}
	fmt.Fprintf(&b, "%d events read", r.Events)
	if r.Tenant != uuid.Nil {
		fmt.Fprintf(&b, " (tenant %s)", r.Tenant)
	}
	b.WriteString("\n")
	if r.Failure != nil {
		fmt.Fprintf(&b, "FAILED: %s\n", r.Failure)
		return b.String()
	}
	if r.Checkpoints > 0 {
		fmt.Fprintf(&b, "%d event(s) verified against %d checkpoint(s), the newest of size %d made %s\n",
			r.Verified, r.Checkpoints, r.Newest.Size, r.Newest.Time.UTC().Format(CheckpointTimeLayout))
	}
	if r.Unverified > 0 {
		fmt.Fprintf(&b, "%d event(s) after the newest checkpoint not yet verified\n", r.Unverified)
	}
	fmt.Fprintf(&b, "root %s\nOK\n", r.Root)
	return b.String()
}

// FailureKind classifies a failure.
type FailureKind string

// Failure kinds. Their text is what a person reads after the event's name.
const (
	// KindLeaf: an event's content does not hash to its stored leaf hash,
	// and no checkpoint vouches for the content as it is: the event was
	// changed (or its stored hash, where no checkpoint covers it yet).
	KindLeaf FailureKind = "leaf hash differs"
	// KindStoredLeaf: the event matches the signed checkpoint but its
	// stored leaf hash was changed.
	KindStoredLeaf FailureKind = "stored leaf hash differs"
	// KindRoot: a checkpoint's root does not match the events and no single
	// event could be named (stored leaf hashes were absent or rewritten too);
	// From and To bound the events that changed.
	KindRoot FailureKind = "root hash differs from checkpoint"
	// KindMissing: a seq is absent (deleted event).
	KindMissing FailureKind = "event missing"
	// KindOrder: an event comes before one with a lower seq (reordered).
	KindOrder FailureKind = "event out of order"
	// KindDuplicate: a seq appears twice (inserted or copied event).
	KindDuplicate FailureKind = "duplicate seq"
	// KindTenant: an event belongs to another tenant than the log.
	KindTenant FailureKind = "wrong tenant"
	// KindTruncated: a checkpoint covers more events than the log has
	// (events deleted at the end).
	KindTruncated FailureKind = "log is shorter than a checkpoint"
	// KindConflict: two checkpoints of the same size have different roots.
	KindConflict FailureKind = "conflicting checkpoints"
	// KindMalformed: an export line is not a valid exported event.
	KindMalformed FailureKind = "malformed export line"
)

// Failure is the first problem verification found.
type Failure struct {
	Kind FailureKind
	// Seq is the seq of the event named, or -1 when no event is named.
	Seq     int64
	EventID int64
	UUID    uuid.UUID
	// Line is the 1-based line of an export; 0 for other sources.
	Line int64
	// Checkpoint is the checkpoint involved, for KindRoot, KindTruncated,
	// KindConflict, KindStoredLeaf and KindLeaf when one decided it.
	Checkpoint *Checkpoint
	// From and To bound the seqs [From, To) the failure lies in, for
	// KindRoot and KindTruncated.
	From, To int64
	Detail   string
}

// Error reads like "first mismatch: event id 123 (seq 41): leaf hash differs".
func (f *Failure) Error() string {
	var b strings.Builder
	b.WriteString("first mismatch: ")
	if f.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", f.Line)
	}
	switch {
	case f.Seq >= 0 && f.Kind == KindMissing:
		fmt.Fprintf(&b, "seq %d: ", f.Seq)
	case f.Seq >= 0:
		fmt.Fprintf(&b, "event id %d (seq %d): ", f.EventID, f.Seq)
	case f.Checkpoint != nil:
		fmt.Fprintf(&b, "checkpoint of size %d (%s): ", f.Checkpoint.Size, f.Checkpoint.Time.UTC().Format(CheckpointTimeLayout))
	}
	b.WriteString(string(f.Kind))
	if f.Detail != "" {
		b.WriteString(": ")
		b.WriteString(f.Detail)
	}
	return b.String()
}
