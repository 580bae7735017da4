package store

import (
	"errors"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/auditkeep/auditkeep/internal/event"
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
	// NextID is the id after the last one assigned.
	NextID int64
}

// PlanAppend assigns ids, seqs and recorded_at to the new events of a group
// and resolves idempotent replays: against stored events (existing) and
// against earlier events of the same group. heads holds each tenant's next
// seq (absent means 0); nextID is the first free id.
func PlanAppend(reqs []AppendRequest, existing map[IdemKey]event.Event, heads map[uuid.UUID]int64, nextID int64, now time.Time, hashLeaves bool) *Plan {
	p := &Plan{
		Results: make([]AppendResult, len(reqs)),
		Start:   heads,
		Heads:   make(map[uuid.UUID]int64, len(heads)),
		Added:   map[uuid.UUID]int64{},
		NextID:  nextID,
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
			e.ID = p.NextID
			p.NextID++
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
