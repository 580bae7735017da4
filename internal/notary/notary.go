package notary

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Config tunes a Notary.
type Config struct {
	// LogName starts every tenant's origin ("<LogName>/<tenant id>") and
	// names the signing key. Default ledger.DefaultLogName.
	LogName string
	// MasterKey seals the signing keys kept in the store.
	MasterKey []byte
	// SignerKey, when set, is the signing key itself (note format, from a
	// file); it is then not kept in the store.
	SignerKey string
	// Interval is the most time between a commit and the checkpoint that
	// covers it. 0 signs after every commit.
	Interval time.Duration
	Log      *slog.Logger
}

// Notary signs and proves.
type Notary struct {
	st   store.Store
	cfg  Config
	keys *ledger.Keyring

	mu    sync.Mutex
	dirty map[uuid.UUID]bool
	wake  chan struct{}
	// signing serialises signing, so two checkpoints of one size are
	// never made with different times.
	signing sync.Mutex
}

// Open loads (or makes) the signing keys.
func Open(ctx context.Context, st store.Store, cfg Config) (*Notary, error) {
	if cfg.LogName == "" {
		cfg.LogName = ledger.DefaultLogName
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.SignerKey == "" && len(cfg.MasterKey) != MasterKeySize {
		return nil, errors.New("notary: a master key or a signer key is required")
	}
	keys, err := loadKeyring(ctx, st, cfg.MasterKey, cfg.LogName, cfg.SignerKey)
	if err != nil {
		return nil, err
	}
	return &Notary{st: st, cfg: cfg, keys: keys, dirty: map[uuid.UUID]bool{}, wake: make(chan struct{}, 1)}, nil
}

// Keyring returns the keys checkpoints are signed and checked with.
func (n *Notary) Keyring() *ledger.Keyring { return n.keys }

// Origin is a tenant's log origin.
func (n *Notary) Origin(tenant uuid.UUID) string { return ledger.Origin(n.cfg.LogName, tenant) }

// Committed is the sequencer's after-commit hook. It notes the tenants
// that grew and wakes Run: signing happens there, never between a commit
// and the answers to the group's writers.
func (n *Notary) Committed(_ context.Context, _ []store.AppendRequest, res []store.AppendResult) {
	n.mu.Lock()
	for i := range res {
		if res[i].Err != nil {
			continue
		}
		for j := range res[i].Events {
			if !res[i].Replayed[j] {
				n.dirty[res[i].Events[j].TenantID] = true
			}
		}
	}
	n.mu.Unlock()
	n.nudge()
}

func (n *Notary) nudge() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// signRetry is the least wait before signing again after a failure (the
// database down), so a zero interval does not spin.
const signRetry = time.Second

// Run signs the tenants that grew until ctx ends: as soon as a commit
// wakes it, but at most once per interval, so a steady stream of commits
// is covered by one checkpoint per tenant per interval.
func (n *Notary) Run(ctx context.Context) {
	var last time.Time
	pause := n.cfg.Interval
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.wake:
		}
		if wait := pause - time.Since(last); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		last = time.Now()
		pause = n.cfg.Interval
		if !n.Flush(ctx) {
			pause = max(pause, signRetry)
			n.nudge()
		}
	}
}

// Flush signs a checkpoint for every tenant that grew since the last one.
// It reports whether every signature was made; the tenants that failed
// are kept for the next time.
func (n *Notary) Flush(ctx context.Context) bool {
	n.mu.Lock()
	dirty := n.dirty
	n.dirty = map[uuid.UUID]bool{}
	n.mu.Unlock()
	ok := true
	for t := range dirty {
		if _, err := n.SignLatest(ctx, t); err != nil {
			n.cfg.Log.ErrorContext(ctx, "sign checkpoint", slog.String("tenant", t.String()), slog.Any("err", err))
			n.mu.Lock()
			n.dirty[t] = true // try again next time
			n.mu.Unlock()
			ok = false
		}
	}
	return ok
}

// CatchUp signs checkpoints for every tenant whose log outgrew its latest
// one (after a crash between commit and signing).
func (n *Notary) CatchUp(ctx context.Context) error {
	sizes, err := n.st.LedgerSizes(ctx)
	if err != nil {
		return err
	}
	for t := range sizes {
		if _, err := n.SignLatest(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// SignLatest makes sure a checkpoint covers the tenant's whole log and
// returns it (the stored one when it already does).
func (n *Notary) SignLatest(ctx context.Context, tenant uuid.UUID) (store.StoredCheckpoint, error) {
	n.signing.Lock()
	defer n.signing.Unlock()
	src, size, err := n.st.LedgerSource(ctx, tenant)
	if err != nil {
		return store.StoredCheckpoint{}, err
	}
	latest, err := n.st.Checkpoints(ctx, tenant, 0, true)
	if err != nil {
		return store.StoredCheckpoint{}, err
	}
	if len(latest) > 0 && latest[0].Size >= size {
		return latest[0], nil
	}
	if size == 0 {
		return store.StoredCheckpoint{}, fmt.Errorf("%w: tenant %s has no events yet", event.ErrNotFound, tenant)
	}
	root, err := ledger.Root(src, size)
	if err != nil {
		return store.StoredCheckpoint{}, err
	}
	cp := ledger.Checkpoint{Origin: n.Origin(tenant), Size: size, Root: root, Time: time.Now().UTC().Truncate(time.Millisecond)}
	note, err := n.keys.Sign(cp)
	if err != nil {
		return store.StoredCheckpoint{}, err
	}
	sc := store.StoredCheckpoint{Tenant: tenant, Size: size, Root: root, Time: cp.Time, Note: note}
	if err := n.st.PutCheckpoint(ctx, sc); err != nil {
		return store.StoredCheckpoint{}, err
	}
	return sc, nil
}

// Checkpoint returns the checkpoint of a tenant of exactly size, or when
// size is 0 the latest, once it covers every event committed before the
// call (see covering): a read right after a write sees the write without
// signing a checkpoint of its own each time.
func (n *Notary) Checkpoint(ctx context.Context, tenant uuid.UUID, size int64) (store.StoredCheckpoint, error) {
	if size <= 0 {
		return n.covering(ctx, tenant, 0)
	}
	cps, err := n.st.Checkpoints(ctx, tenant, size, false)
	if err != nil {
		return store.StoredCheckpoint{}, err
	}
	if len(cps) == 0 {
		return store.StoredCheckpoint{}, fmt.Errorf("%w: no checkpoint of size %d", event.ErrNotFound, size)
	}
	return cps[0], nil
}

// covering returns the latest checkpoint once it covers the first need
// events (the whole log when need is 0 or beyond it). Proofs and
// checkpoints are read far more often than the log grows past its
// checkpoint, and each signature is a row kept forever, so a read signs
// only when the latest checkpoint is older than the interval; otherwise it
// waits for the one Run signs when the interval is up (or signs it itself
// then, if Run did not). SignLatest is for the caller that wants one now.
func (n *Notary) covering(ctx context.Context, tenant uuid.UUID, need int64) (store.StoredCheckpoint, error) {
	for {
		latest, err := n.st.Checkpoints(ctx, tenant, 0, true)
		if err != nil {
			return store.StoredCheckpoint{}, err
		}
		if len(latest) > 0 && need > 0 && latest[0].Size >= need {
			return latest[0], nil
		}
		_, size, err := n.st.LedgerSource(ctx, tenant)
		if err != nil {
			return store.StoredCheckpoint{}, err
		}
		if need <= 0 || need > size {
			need = size
		}
		var wait time.Duration
		if len(latest) > 0 {
			if latest[0].Size >= need {
				return latest[0], nil
			}
			wait = n.cfg.Interval - time.Since(latest[0].Time)
		}
		if wait <= 0 {
			return n.SignLatest(ctx, tenant)
		}
		select {
		case <-ctx.Done():
			return store.StoredCheckpoint{}, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// coveringCheckpoint returns the checkpoint of size, or when size is 0
// the latest one that covers seq (see covering).
func (n *Notary) coveringCheckpoint(ctx context.Context, tenant uuid.UUID, seq, size int64) (store.StoredCheckpoint, error) {
	var cp store.StoredCheckpoint
	var err error
	if size <= 0 {
		cp, err = n.covering(ctx, tenant, seq+1)
	} else {
		cp, err = n.Checkpoint(ctx, tenant, size)
	}
	if err != nil {
		return cp, err
	}
	if seq >= cp.Size {
		if size > 0 {
			return cp, event.Invalid("size", "checkpoint of size %d does not cover seq %d", size, seq)
		}
		return cp, fmt.Errorf("%w: seq %d is not in the log", event.ErrNotFound, seq)
	}
	return cp, nil
}

// InclusionProof is what proves an event is in a tenant's log.
type InclusionProof struct {
	Checkpoint store.StoredCheckpoint
	Seq        int64
	Leaf       tlog.Hash
	Proof      tlog.RecordProof
}

// ProveInclusion proves the event at seq is in the tree of the checkpoint
// of size (the latest when 0).
func (n *Notary) ProveInclusion(ctx context.Context, tenant uuid.UUID, seq, size int64) (*InclusionProof, error) {
	if seq < 0 {
		return nil, event.Invalid("seq", "must be 0 or more")
	}
	cp, err := n.coveringCheckpoint(ctx, tenant, seq, size)
	if err != nil {
		return nil, err
	}
	src, _, err := n.st.LedgerSource(ctx, tenant)
	if err != nil {
		return nil, err
	}
	leaves, err := src.LeafHashes(seq, seq+1)
	if err != nil {
		return nil, err
	}
	p, err := ledger.InclusionProof(src, tlog.Tree{N: cp.Size, Hash: cp.Root}, seq)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	return &InclusionProof{Checkpoint: cp, Seq: seq, Leaf: leaves[0], Proof: p}, nil
}

// ConsistencyProof is what proves a newer checkpoint extends an older one.
type ConsistencyProof struct {
	From, To store.StoredCheckpoint
	Proof    tlog.TreeProof
}

// ProveConsistency proves the tree of size from is a prefix of the tree of
// size to (the latest checkpoint when to is 0). Both sizes must have
// checkpoints.
func (n *Notary) ProveConsistency(ctx context.Context, tenant uuid.UUID, from, to int64) (*ConsistencyProof, error) {
	if from < 1 {
		return nil, event.Invalid("from", "must be 1 or more")
	}
	newer, err := n.Checkpoint(ctx, tenant, to)
	if err != nil {
		return nil, err
	}
	if from > newer.Size {
		return nil, event.Invalid("from", "must not be above to (%d)", newer.Size)
	}
	older, err := n.Checkpoint(ctx, tenant, from)
	if err != nil {
		return nil, err
	}
	src, _, err := n.st.LedgerSource(ctx, tenant)
	if err != nil {
		return nil, err
	}
	p, err := ledger.ConsistencyProof(src, tlog.Tree{N: newer.Size, Hash: newer.Root}, from)
	if err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	}
	return &ConsistencyProof{From: older, To: newer, Proof: p}, nil
}
