package notary

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/store"
)

var errStop = errors.New("stop")

// VerifyTenant recomputes every leaf and root of a tenant's log from its
// events and checks them against its signed checkpoints (whose signatures
// must verify with verifiers), and the stored tiles against the recomputed
// tree. It needs no signing key: give it the public keys.
func VerifyTenant(ctx context.Context, st store.Store, tenant uuid.UUID, verifiers note.Verifiers) (ledger.Report, error) {
	stored, err := st.Checkpoints(ctx, tenant, 0, false)
	if err != nil {
		return ledger.Report{}, err
	}
	var cps []ledger.Checkpoint
	for _, sc := range stored {
		cp, err := ledger.Open(sc.Note, verifiers)
		if err != nil {
			return ledger.Report{}, fmt.Errorf("checkpoint of size %d: %w", sc.Size, err)
		}
		if cp.Size != sc.Size || cp.Root != sc.Root {
			return ledger.Report{}, fmt.Errorf("%w: checkpoint row of size %d does not match its signed note", ledger.ErrCheckpoint, sc.Size)
		}
		if want, err := ledger.OriginTenant(cp.Origin); err != nil || want != tenant {
			return ledger.Report{}, fmt.Errorf("%w: checkpoint of size %d names origin %q", ledger.ErrCheckpoint, sc.Size, cp.Origin)
		}
		cps = append(cps, cp)
	}
	// The stored tiles must be the ones the events give: a tile edited in
	// place would make proofs fail for readers, so it is reported here.
	tail := ledger.NewTail()
	src, sizeBefore, err := st.LedgerSource(ctx, tenant)
	if err != nil {
		return ledger.Report{}, err
	}
	var tileErr error
	var lastLeaf []byte
	// Events at or past the size the log had when the scan began are
	// either committed during the scan or not committed at all (a row
	// written straight into the table); the size after the scan tells.
	var late []*event.Event
	events := func(yield func(*event.Event, error) bool) {
		err := st.ScanLedger(ctx, tenant, 0, func(e *event.Event, leaf []byte) error {
			lastLeaf = leaf
			if e.Seq >= sizeBefore && len(late) < maxLate {
				late = append(late, e)
			}
			if tileErr == nil && e.Seq == tail.Size() {
				for _, t := range tail.Append(ledger.LeafHash(e)) {
					got, err := src.FullTiles(t.Level, t.Index, t.Index+1)
					if err != nil || string(got[0]) != string(t.Data) {
						tileErr = fmt.Errorf("stored ledger tile %d/%d does not match the events (first event %d)", t.Level, t.Index, e.Seq)
					}
				}
			}
			if !yield(e, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			yield(nil, err)
		}
	}
	stLeaf := func(seq int64) (tlog.Hash, bool) {
		if len(lastLeaf) != tlog.HashSize {
			return tlog.Hash{}, false
		}
		return tlog.Hash(lastLeaf), true
	}
	rep, err := ledger.VerifyLog(events, cps, stLeaf)
	if err != nil {
		return rep, err
	}
	if rep.OK() && len(late) > 0 {
		if err := checkPastEnd(ctx, st, tenant, late, &rep); err != nil {
			return rep, err
		}
	}
	if rep.OK() && tileErr != nil {
		return rep, tileErr
	}
	return rep, nil
}

// KindPastEnd is a failure of the live verification: an event row whose
// seq is at or past the log's recorded size, which no commit wrote. No
// checkpoint covers such a row yet, so without this check it would pass as
// "not yet verified".
const KindPastEnd ledger.FailureKind = "event past the end of the log"

// maxLate bounds the events VerifyTenant keeps for checkPastEnd: the first
// one past the end is all it needs, and a scan racing a busy writer should
// not hold them all.
const maxLate = 4096

// checkPastEnd fails rep when an event has a seq at or past the log's size
// as it is after the scan (the size only grows, so an event committed
// during the scan is below it). rep is OK, so seqs are dense and the first
// such event is the one at the size.
func checkPastEnd(ctx context.Context, st store.Store, tenant uuid.UUID, late []*event.Event, rep *ledger.Report) error {
	_, size, err := st.LedgerSource(ctx, tenant)
	if err != nil {
		return err
	}
	for _, e := range late {
		if e.Seq >= size {
			rep.Failure = &ledger.Failure{Kind: KindPastEnd, Seq: e.Seq, EventID: e.ID, UUID: e.UUID, From: size, To: e.Seq + 1,
				Detail: fmt.Sprintf("the log's size is %d, so no commit wrote this row", size)}
			rep.Root = tlog.Hash{}
			rep.Unverified = 0
			return nil
		}
	}
	return nil
}

// VerifyAll verifies every tenant with events, calling report for each.
func VerifyAll(ctx context.Context, st store.Store, verifiers note.Verifiers, report func(tenant uuid.UUID, rep ledger.Report, err error)) (bool, error) {
	sizes, err := st.LedgerSizes(ctx)
	if err != nil {
		return false, err
	}
	ok := true
	ts, err := st.Tenants(ctx)
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if _, has := sizes[t.ID]; !has {
			continue
		}
		rep, err := VerifyTenant(ctx, st, t.ID, verifiers)
		if err != nil || !rep.OK() {
			ok = false
		}
		report(t.ID, rep, err)
	}
	return ok, nil
}

// StoreVerifiers returns the public keys of every signing key the store
// has used, for verifying a live store without the master key.
func StoreVerifiers(ctx context.Context, st store.Store) (note.Verifiers, []string, error) {
	keys, err := st.LedgerKeys(ctx)
	if err != nil {
		return nil, nil, err
	}
	var vkeys []string
	for _, k := range keys {
		vkeys = append(vkeys, k.VKey)
	}
	if len(vkeys) == 0 {
		return nil, nil, fmt.Errorf("%w: the store has no ledger keys", event.ErrNotFound)
	}
	v, err := ledger.Verifiers(vkeys...)
	return v, vkeys, err
}
