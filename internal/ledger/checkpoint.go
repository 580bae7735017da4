package ledger

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// DefaultLogName is the first part of every origin unless configured.
const DefaultLogName = "auditkeep"

// CheckpointTimeLayout is the layout of the timestamp extension line: UTC,
// millisecond precision.
const CheckpointTimeLayout = "2006-01-02T15:04:05.000Z"

const timestampPrefix = "timestamp "

// Checkpoint is a signed statement of a tenant's log: its origin, size and
// root hash at a time. Its text form is a C2SP tlog-checkpoint with one
// extension line:
//
//	auditkeep/0191f5a7-3d99-7f81-b7ec-962a5f5fdd7c
//	1234
//	ZsQ2xQpXo2H6xZVjB5L2Zb0QK8Y3mZ4t2Jm4n8o0b9E=
//	timestamp 2024-06-12T09:14:33.123Z
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Time   time.Time
}

// Tree returns the checkpoint's size and root as a tlog.Tree.
func (c Checkpoint) Tree() tlog.Tree { return tlog.Tree{N: c.Size, Hash: c.Root} }

// Origin returns the origin of a tenant's log: "<logName>/<tenant uuid>".
// Each tenant is its own log, so its checkpoints can be neither replayed for
// another tenant nor mixed with another deployment's.
func Origin(logName string, tenant uuid.UUID) string {
	if logName == "" {
		logName = DefaultLogName
	}
	return logName + "/" + tenant.String()
}

// OriginTenant returns the tenant named by the last element of origin.
func OriginTenant(origin string) (uuid.UUID, error) {
	i := strings.LastIndexByte(origin, '/')
	s := origin[i+1:]
	id, err := uuid.Parse(s)
	if i <= 0 || err != nil || id.String() != s {
		return uuid.Nil, fmt.Errorf("%w: origin %q does not end in /<tenant uuid>", ErrCheckpoint, origin)
	}
	return id, nil
}

// validName reports whether s may be an origin or a key name: non-empty
// UTF-8 without spaces, '+' or control characters, as C2SP recommends and
// the note format requires of key names.
func validName(s string) bool {
	return s != "" && utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '+'
	})
}

// FormatCheckpoint returns the checkpoint's note text. Time is written in
// UTC to the millisecond; anything finer is dropped.
func FormatCheckpoint(c Checkpoint) ([]byte, error) {
	if !validName(c.Origin) {
		return nil, fmt.Errorf("%w: invalid origin %q", ErrCheckpoint, c.Origin)
	}
	if c.Size < 0 {
		return nil, fmt.Errorf("%w: negative size %d", ErrCheckpoint, c.Size)
	}
	if c.Time.IsZero() || c.Time.UTC().Year() > 9999 {
		return nil, fmt.Errorf("%w: invalid time %v", ErrCheckpoint, c.Time)
	}
	var b bytes.Buffer
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Root[:]))
	b.WriteByte('\n')
	b.WriteString(timestampPrefix)
	b.WriteString(c.Time.UTC().Format(CheckpointTimeLayout))
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// ParseCheckpoint parses a checkpoint's note text strictly: exactly the four
// lines FormatCheckpoint writes, each in its one canonical spelling, so that
// a text has a single meaning and a checkpoint a single text.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	var c Checkpoint
	bad := func(format string, args ...any) (Checkpoint, error) {
		return Checkpoint{}, fmt.Errorf("%w: %s", ErrCheckpoint, fmt.Sprintf(format, args...))
	}
	s := string(text)
	if !strings.HasSuffix(s, "\n") {
		return bad("text does not end in a newline")
	}
	lines := strings.Split(s[:len(s)-1], "\n")
	if len(lines) != 4 {
		return bad("%d lines, want 4 (origin, size, root hash, timestamp)", len(lines))
	}
	if c.Origin = lines[0]; !validName(c.Origin) {
		return bad("invalid origin %q", c.Origin)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return bad("invalid tree size %q", lines[1])
	}
	c.Size = size
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize || base64.StdEncoding.EncodeToString(root) != lines[2] {
		return bad("invalid root hash %q", lines[2])
	}
	c.Root = tlog.Hash(root)
	ts, ok := strings.CutPrefix(lines[3], timestampPrefix)
	if !ok {
		return bad("line 4 is %q, want a timestamp", lines[3])
	}
	t, err := time.Parse(CheckpointTimeLayout, ts)
	if err != nil || t.Format(CheckpointTimeLayout) != ts {
		return bad("invalid timestamp %q", ts)
	}
	c.Time = t
	return c, nil
}

// Sign returns the signed note of c.
func Sign(c Checkpoint, signer note.Signer) ([]byte, error) {
	text, err := FormatCheckpoint(c)
	if err != nil {
		return nil, err
	}
	msg, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		return nil, fmt.Errorf("ledger: sign checkpoint: %w", err)
	}
	return msg, nil
}

// Open verifies a signed checkpoint against verifiers and parses it. At
// least one signature must be by a known key and none by a known key may
// be invalid; signatures by unknown keys (witnesses, say) are ignored.
func Open(msg []byte, verifiers note.Verifiers) (Checkpoint, error) {
	n, err := note.Open(msg, verifiers)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return Checkpoint{}, fmt.Errorf("%w: not signed by a trusted key", ErrCheckpoint)
		}
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	return ParseCheckpoint([]byte(n.Text))
}

// CheckConsistency verifies that new extends old: same origin, and proof
// shows old's tree is a prefix of new's. Monitors call it on each new
// checkpoint; a failure is evidence the log was rewritten.
func CheckConsistency(old, new Checkpoint, proof tlog.TreeProof) error {
	switch {
	case old.Origin != new.Origin:
		return fmt.Errorf("%w: origins differ: %q and %q", ErrProof, old.Origin, new.Origin)
	case old.Size > new.Size:
		return fmt.Errorf("%w: size went down from %d to %d", ErrProof, old.Size, new.Size)
	case old.Size == 0:
		if old.Root != emptyRoot() || len(proof) != 0 {
			return fmt.Errorf("%w: bad empty tree", ErrProof)
		}
		return nil
	case old.Size == new.Size:
		if old.Root != new.Root || len(proof) != 0 {
			return fmt.Errorf("%w: two roots for size %d", ErrProof, old.Size)
		}
		return nil
	}
	if err := tlog.CheckTree(proof, new.Size, new.Root, old.Size, old.Root); err != nil {
		return fmt.Errorf("%w: size %d is not a prefix of size %d: %v", ErrProof, old.Size, new.Size, err)
	}
	return nil
}

// CheckInclusion verifies that leaf is leaf number index of cp's tree.
func CheckInclusion(cp Checkpoint, leaf tlog.Hash, index int64, proof tlog.RecordProof) error {
	if index < 0 || index >= cp.Size {
		return fmt.Errorf("%w: leaf %d is not in a tree of size %d", ErrProof, index, cp.Size)
	}
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, index, leaf); err != nil {
		return fmt.Errorf("%w: leaf %d in tree of size %d: %v", ErrProof, index, cp.Size, err)
	}
	return nil
}
