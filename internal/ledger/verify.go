package ledger

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"
)

// VerifyLog recomputes a tenant's log from its events and checks it against
// checkpoints whose signatures the caller has already verified.
//
// events must yield the whole log in seq order, from seq 0. Each leaf is
// recomputed from the event's content; seqs must run 0, 1, 2, … without gap,
// duplicate or reordering, and every event must belong to one tenant (the
// one the checkpoints' origin names, when it names one). At each
// checkpoint's size the root must match.
//
// storedLeaf, if not nil, returns the leaf hash the store kept for an event;
// it is called once per event, right after events yields it, so a streaming
// store can return the current row's column. With it the report names the
// first changed event exactly instead of a checkpoint's range. A stored hash
// that differs is judged by the next checkpoint: if the content still
// matches the signed root, the stored hash is what was altered
// (KindStoredLeaf).
//
// Leaves are computed on all CPUs, so events must yield a distinct
// *event.Event each time, not one struct reused.
//
// Problems in the log are reported in Report.Failure; the error is for
// failures to read (an error yielded by events) and unusable arguments.
func VerifyLog(events iter.Seq2[*event.Event, error], checkpoints []Checkpoint, storedLeaf func(seq int64) (tlog.Hash, bool)) (Report, error) {
	v, err := newVerifier(checkpoints)
	if err != nil {
		return Report{}, err
	}
	p := startPipeline(func(j *leafJob) bool {
		var stored *tlog.Hash
		if j.hasStored {
			stored = &j.stored
		}
		return v.add(j.ev, j.leaf, stored, 0)
	})
	var readErr error
	for e, err := range events {
		if err != nil {
			readErr = fmt.Errorf("ledger: verify: read events: %w", err)
			break
		}
		if e == nil {
			readErr = errors.New("ledger: verify: nil event")
			break
		}
		j := leafJob{ev: e}
		if storedLeaf != nil {
			j.stored, j.hasStored = storedLeaf(e.Seq)
		}
		if !p.push(j) {
			break
		}
	}
	p.close()
	if readErr != nil {
		return v.rep, readErr
	}
	return v.finish(), nil
}

// verifier is the state shared by VerifyLog and VerifyExport: events go in
// one at a time, a Report comes out.
type verifier struct {
	cps  []Checkpoint // by size
	next int          // first checkpoint not yet reached
	tail *Tail
	rep  Report

	tenantKnown bool
	lastGood    int64 // size of the newest matching checkpoint

	// leafDiff is the first event whose stored leaf hash differs from its
	// content, waiting for the next checkpoint to say which one is wrong.
	leafDiff *Failure
	// gap is a seq found missing, waiting for the rest of the log to say
	// whether the event was deleted or only moved.
	gap  *gap
	done bool
}

func newVerifier(checkpoints []Checkpoint) (*verifier, error) {
	cps := slices.Clone(checkpoints)
	slices.SortStableFunc(cps, func(a, b Checkpoint) int { return cmp.Compare(a.Size, b.Size) })
	v := &verifier{cps: cps, tail: newTail(TileHeight)}
	for i, c := range cps {
		if c.Size < 0 {
			return nil, fmt.Errorf("ledger: verify: %w: checkpoint of negative size", event.ErrInvalid)
		}
		if c.Origin != cps[0].Origin {
			return nil, fmt.Errorf("ledger: verify: %w: checkpoints of two logs: %q and %q", event.ErrInvalid, cps[0].Origin, c.Origin)
		}
		if i > 0 && c.Size == cps[i-1].Size && c.Root != cps[i-1].Root {
			v.fail(&Failure{Kind: KindConflict, Seq: -1, Checkpoint: &cps[i], From: 0, To: c.Size,
				Detail: fmt.Sprintf("two signed roots for size %d: the log forked", c.Size)})
		}
	}
	if len(cps) > 0 {
		v.rep.Origin = cps[0].Origin
		if id, err := OriginTenant(cps[0].Origin); err == nil {
			v.rep.Tenant = id
			v.tenantKnown = true
		}
	}
	if !v.done {
		v.reached() // checkpoints of size 0
	}
	return v, nil
}

func (v *verifier) fail(f *Failure) {
	if v.leafDiff != nil {
		// A changed event before this point is the first problem.
		f = v.leafDiff
		if f.Detail == "" {
			f.Detail = "the event's content does not hash to its stored leaf hash"
		}
	}
	v.rep.Failure = f
	v.rep.Root = tlog.Hash{}
	v.done = true
}

// add takes the next event and its recomputed leaf hash; stored is the
// store's leaf hash if known, line the export line or 0. It returns false
// once the outcome is decided.
func (v *verifier) add(e *event.Event, leaf tlog.Hash, stored *tlog.Hash, line int64) bool {
	if v.done {
		return false
	}
	if g := v.gap; g != nil {
		if e.Seq == g.missing {
			// It was moved, not deleted: name the event that came early.
			v.fail(&Failure{Kind: KindOrder, Seq: g.seq, EventID: g.id, UUID: g.uuid, Line: g.line,
				Detail: fmt.Sprintf("it comes before seq %d", g.missing)})
			return false
		}
		return true
	}
	expect := v.tail.Size()
	named := func(kind FailureKind, detail string) *Failure {
		return &Failure{Kind: kind, Seq: e.Seq, EventID: e.ID, UUID: e.UUID, Line: line, Detail: detail}
	}
	if !v.tenantKnown {
		v.rep.Tenant, v.tenantKnown = e.TenantID, true
	}
	if e.TenantID != v.rep.Tenant {
		v.fail(named(KindTenant, fmt.Sprintf("tenant %s, but the log is tenant %s", e.TenantID, v.rep.Tenant)))
		return false
	}
	switch {
	case e.Seq < expect:
		v.fail(named(KindDuplicate, fmt.Sprintf("seq %d was already seen; expected seq %d", e.Seq, expect)))
		return false
	case e.Seq > expect:
		// Deleted or moved: the rest of the log tells which.
		v.gap = &gap{missing: expect, seq: e.Seq, id: e.ID, uuid: e.UUID, line: line}
		if v.leafDiff != nil {
			v.fail(v.leafDiff)
			return false
		}
		return true
	}
	v.rep.Events++
	if stored != nil && *stored != leaf && v.leafDiff == nil {
		v.leafDiff = named(KindLeaf, "")
	}
	v.tail.push(leaf, false)
	v.reached()
	return !v.done
}

// reached compares the tree with every checkpoint of its current size.
func (v *verifier) reached() {
	size := v.tail.Size()
	for ; v.next < len(v.cps) && v.cps[v.next].Size == size; v.next++ {
		cp := &v.cps[v.next]
		if v.tail.Root() != cp.Root {
			if d := v.leafDiff; d != nil {
				d.Checkpoint = cp
				d.Detail = fmt.Sprintf("the event does not match the checkpoint of size %d", cp.Size)
				v.fail(d)
				return
			}
			v.fail(&Failure{Kind: KindRoot, Seq: -1, Checkpoint: cp, From: v.lastGood, To: cp.Size,
				Detail: fmt.Sprintf("an event with seq in [%d, %d) was changed, inserted, removed or reordered", v.lastGood, cp.Size)})
			return
		}
		if d := v.leafDiff; d != nil {
			d.Kind = KindStoredLeaf
			d.Checkpoint = cp
			d.Detail = fmt.Sprintf("the event matches the checkpoint of size %d; its stored leaf hash was changed", cp.Size)
			v.fail(d)
			return
		}
		v.rep.Checkpoints++
		v.rep.Newest = *cp
		v.lastGood = size
	}
}

// gap is where a seq was expected and a later one came.
type gap struct {
	missing int64 // the seq expected
	seq     int64 // the event that came instead
	id      int64
	uuid    uuid.UUID
	line    int64
}

// finish settles what is still open and returns the report.
func (v *verifier) finish() Report {
	if !v.done {
		switch {
		case v.gap != nil:
			g := v.gap
			v.fail(&Failure{Kind: KindMissing, Seq: g.missing, Line: g.line,
				Detail: fmt.Sprintf("the next event is id %d (seq %d)", g.id, g.seq)})
		case v.leafDiff != nil:
			v.leafDiff.Detail = "the event's content does not hash to its stored leaf hash (no checkpoint covers it yet)"
			v.fail(v.leafDiff)
		case v.next < len(v.cps):
			cp := &v.cps[len(v.cps)-1]
			n := v.tail.Size()
			v.fail(&Failure{Kind: KindTruncated, Seq: -1, Checkpoint: cp, From: n, To: cp.Size,
				Detail: fmt.Sprintf("the log has %d events, the checkpoint covers %d: seq %d to %d are missing", n, cp.Size, n, cp.Size-1)})
		default:
			v.rep.Root = v.tail.Root()
		}
	}
	v.rep.Verified = v.lastGood
	if v.rep.Failure == nil {
		v.rep.Unverified = v.tail.Size() - v.lastGood
	}
	return v.rep
}
