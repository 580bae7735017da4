package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
)

// IdemKey is an idempotency key within its tenant.
type IdemKey struct {
	Tenant uuid.UUID
	Key    string
}

// IdemKeys lists the idempotency keys a group of requests uses, for the
// store to look up before it plans.
func IdemKeys(reqs []AppendRequest) []IdemKey {
	var keys []IdemKey
	for _, r := range reqs {
		for i := range r.Events {
			if k := r.Events[i].IdempotencyKey; k != "" {
				keys = append(keys, IdemKey{r.Events[i].TenantID, k})
			}
		}
	}
	return keys
}

// GroupTenants lists the distinct tenants of a group of requests.
func GroupTenants(reqs []AppendRequest) []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	var ts []uuid.UUID
	for _, r := range reqs {
		for i := range r.Events {
			if t := r.Events[i].TenantID; !seen[t] {
				seen[t] = true
				ts = append(ts, t)
			}
		}
	}
	return ts
}

// Plan is what one Append group writes, decided in memory from the requests
// and the state the store read inside its transaction. Both engines use it,
// so idempotency, id and seq assignment behave the same on each.
type Plan struct {
	Results []AppendResult
	// New are the events to insert, in id order; they point into Results.
	New []*event.Event
	// Leaves[i] is the ledger leaf hash of New[i] (when hashing is on).
	Leaves []tlog.Hash
	// Start is each tenant's next seq before the group (its ledger size).
	Start map[uuid.UUID]int64
	// Heads is each tenant's next seq once the group is committed.
	Heads map[uuid.UUID]int64
	// Added counts the new events of each tenant.
	Added map[uuid.UUID]int64
}

// PlanAppend assigns ids, seqs and recorded_at to the new events of a group
// and resolves idempotent replays: against stored events (existing) and
// against earlier events of the same group. heads holds each tenant's next
// seq (absent means 0); ids are the ids to give the new events in order
// (nil to only find out how many are new: their ids stay 0).
func PlanAppend(reqs []AppendRequest, existing map[IdemKey]event.Event, heads map[uuid.UUID]int64, ids []int64, now time.Time, hashLeaves bool) *Plan {
	p := &Plan{
		Results: make([]AppendResult, len(reqs)),
		Start:   heads,
		Heads:   make(map[uuid.UUID]int64, len(heads)),
		Added:   map[uuid.UUID]int64{},
	}
	for t, n := range heads {
		p.Heads[t] = n
	}
	type slot struct{ req, ev int }
	inGroup := map[IdemKey]slot{}
	now = now.UTC().Truncate(time.Microsecond)
	for ri, r := range reqs {
		res := &p.Results[ri]
		res.Events = make([]event.Event, len(r.Events))
		res.Replayed = make([]bool, len(r.Events))
		copy(res.Events, r.Events)
		for ei := range res.Events {
			e := &res.Events[ei]
			if e.IdempotencyKey != "" {
				k := IdemKey{e.TenantID, e.IdempotencyKey}
				if orig, ok := existing[k]; ok {
					*e = orig
					res.Replayed[ei] = true
					continue
				}
				if s, ok := inGroup[k]; ok {
					*e = p.Results[s.req].Events[s.ev]
					res.Replayed[ei] = true
					continue
				}
				inGroup[k] = slot{ri, ei}
			}
			if n := len(p.New); n < len(ids) {
				e.ID = ids[n]
			}
			e.Seq = p.Heads[e.TenantID]
			p.Heads[e.TenantID]++
			p.Added[e.TenantID]++
			e.RecordedAt = now
			p.New = append(p.New, e)
			if hashLeaves {
				p.Leaves = append(p.Leaves, tlog.RecordHash(event.LeafData(e)))
			}
		}
	}
	return p
}

// AppendTx is one engine's part of an append: the steps AppendGroup runs
// in one transaction. Each engine implements it over its own SQL.
type AppendTx interface {
	// TenantPKs maps the group's tenants to their keys; unknown ones are
	// absent. It is the first step, and may run before the transaction
	// begins.
	TenantPKs(ctx context.Context, tenants []uuid.UUID) (map[uuid.UUID]int64, error)
	// LockHeads (the transaction has begun by its end) locks the heads of
	// the tenants (id → pk) until the
	// transaction ends, in one fixed order so that writers of overlapping
	// tenants never wait on each other in a cycle, and returns each
	// tenant's next seq. Tenants outside the group stay free: their groups
	// commit in parallel where the engine allows it.
	LockHeads(ctx context.Context, pks map[uuid.UUID]int64) (map[uuid.UUID]int64, error)
	// Idempotent finds the stored events that use the keys. It runs under
	// the head locks, so a key committed by another writer replays.
	Idempotent(ctx context.Context, pks map[uuid.UUID]int64, keys []IdemKey) (map[IdemKey]event.Event, error)
	// IDs draws n new event ids, increasing.
	IDs(ctx context.Context, n int) ([]int64, error)
	// Tiles reads a tenant's ledger tiles and leaf hashes.
	Tiles(ctx context.Context, pk int64) ledger.TileSource
	// Insert writes the plan's events to the log with the tenants' heads,
	// and the completed tiles.
	Insert(ctx context.Context, pks map[uuid.UUID]int64, plan *Plan, pend *Pending) error
	Commit(ctx context.Context) error
	Rollback(ctx context.Context)
}

// AppendGroup is the append sequence, written once for every engine: it
// commits a group of requests in one transaction of tx. A request naming
// an unknown tenant fails alone; idempotent replays are resolved under the
// head locks; ids, seqs and leaves are planned in memory (PlanAppend); the
// ledger's right edges (tails) extend in memory and are kept only once the
// commit succeeded. tails is nil with the ledger off.
func AppendGroup(ctx context.Context, tx AppendTx, tails *Tails, reqs []AppendRequest) ([]AppendResult, error) {
	defer tx.Rollback(ctx)
	pks, err := tx.TenantPKs(ctx, GroupTenants(reqs))
	if err != nil {
		return nil, err
	}
	out := make([]AppendResult, len(reqs))
	var live []AppendRequest
	var liveIdx []int
	for i, r := range reqs {
		if unknown := unknownTenant(r, pks); unknown != uuid.Nil {
			out[i].Err = fmt.Errorf("tenant %s: %w", unknown, event.ErrNotFound)
			continue
		}
		live = append(live, r)
		liveIdx = append(liveIdx, i)
	}
	if len(live) == 0 {
		return out, nil
	}
	groupPKs := make(map[uuid.UUID]int64)
	for _, t := range GroupTenants(live) {
		groupPKs[t] = pks[t]
	}
	heads, err := tx.LockHeads(ctx, groupPKs)
	if err != nil {
		return nil, err
	}
	existing, err := tx.Idempotent(ctx, groupPKs, IdemKeys(live))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	plan := PlanAppend(live, existing, heads, nil, now, false)
	if len(plan.New) > 0 {
		// Only now, with the count known and a replay-only group ruled
		// out, are ids drawn.
		ids, err := tx.IDs(ctx, len(plan.New))
		if err != nil {
			return nil, err
		}
		plan = PlanAppend(live, existing, heads, ids, now, tails != nil)
		var pend *Pending
		if tails != nil {
			if pend, err = tails.Extend(plan, func(t uuid.UUID, size int64) (*ledger.Tail, error) {
				return ledger.LoadTail(size, tx.Tiles(ctx, groupPKs[t]))
			}); err != nil {
				return nil, err
			}
		}
		if err := tx.Insert(ctx, groupPKs, plan, pend); err != nil {
			return nil, err
		}
		if err := tx.Commit(ctx); err != nil {
			return nil, err
		}
		tails.Commit(pend)
	} else if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	for j, i := range liveIdx {
		out[i] = plan.Results[j]
	}
	return out, nil
}

func unknownTenant(r AppendRequest, pks map[uuid.UUID]int64) uuid.UUID {
	for i := range r.Events {
		if _, ok := pks[r.Events[i].TenantID]; !ok {
			return r.Events[i].TenantID
		}
	}
	return uuid.Nil
}

// AppendSplitting commits reqs as one group through group. When the group
// fails with ErrConflict (one request's uuid is in use, or its idempotency
// key was committed by another process meanwhile), it commits each request
// alone, so only the conflicting one fails and a raced key replays.
func AppendSplitting(reqs []AppendRequest, group func([]AppendRequest) ([]AppendResult, error)) ([]AppendResult, error) {
	res, err := group(reqs)
	if err == nil {
		return res, nil
	}
	if !errors.Is(err, event.ErrConflict) {
		return nil, err
	}
	out := make([]AppendResult, len(reqs))
	for i := range reqs {
		r, err := group(reqs[i : i+1])
		if err != nil {
			out[i].Err = err
			continue
		}
		out[i] = r[0]
	}
	return out, nil
}
