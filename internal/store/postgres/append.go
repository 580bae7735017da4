package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Append implements store.Store.
func (s *Store) Append(ctx context.Context, reqs []store.AppendRequest) ([]store.AppendResult, error) {
	return store.AppendSplitting(reqs, func(g []store.AppendRequest) ([]store.AppendResult, error) {
		return s.appendGroup(ctx, g)
	})
}

func (s *Store) appendGroup(ctx context.Context, reqs []store.AppendRequest) ([]store.AppendResult, error) {
	// Tenants are never deleted, so their pks can be read outside the
	// transaction (mostly from the cache).
	pks, err := s.tenantPKs(ctx, store.GroupTenants(reqs))
	if err != nil {
		return nil, err
	}
	// A request naming an unknown tenant fails alone; the rest go on.
	out := make([]store.AppendResult, len(reqs))
	var live []store.AppendRequest
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
	tenants := store.GroupTenants(live)
	ids := make(map[int64]uuid.UUID, len(tenants))
	for _, t := range tenants {
		ids[pks[t]] = t
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err)
	}
	defer tx.Rollback(ctx)

	heads, err := lockHeads(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	// Read under the head locks: any event of these tenants committed
	// before them is visible now, so a key already used replays.
	existing, err := s.existingIdem(ctx, tx, pks, ids, store.IdemKeys(live))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if probe := store.PlanAppend(live, existing, heads, 0, now, false); len(probe.New) == 0 {
		// Only replays: nothing to write, no id to draw.
		for j, i := range liveIdx {
			out[i] = probe.Results[j]
		}
		return out, translate(tx.Commit(ctx))
	}
	// The counter row stays locked to commit, so ids increase in commit
	// order across processes. It is taken after the head locks, and every
	// writer takes them in that order, so writers cannot deadlock.
	var nextID int64
	if err := tx.QueryRow(ctx, `SELECT next_id FROM store_head FOR UPDATE`).Scan(&nextID); err != nil {
		return nil, fmt.Errorf("id counter: %w", translate(err))
	}
	plan := store.PlanAppend(live, existing, heads, nextID, now, !s.opts.NoLedger)
	var pend *store.Pending
	if !s.opts.NoLedger {
		if pend, err = s.tails.Extend(plan, func(t uuid.UUID, size int64) (*ledger.Tail, error) {
			return ledger.LoadTail(size, tileSource(ctx, tx, pks[t]))
		}); err != nil {
			return nil, err
		}
	}
	if err := insert(ctx, tx, pks, plan); err != nil {
		return nil, err
	}
	if err := insertTiles(ctx, tx, pks, pend); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err)
	}
	s.tails.Commit(pend)
	for j, i := range liveIdx {
		out[i] = plan.Results[j]
	}
	return out, nil
}

// insertTiles copies the tiles a group completed.
func insertTiles(ctx context.Context, tx pgx.Tx, pks map[uuid.UUID]int64, pend *store.Pending) error {
	if pend == nil {
		return nil
	}
	var rows [][]any
	for t, tiles := range pend.Tiles {
		for _, tile := range tiles {
			rows = append(rows, []any{pks[t], tile.Level, tile.Index, tile.Data})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_tiles"}, []string{"tenant_pk", "level", "idx", "data"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy ledger tiles: %w", translate(err))
	}
	return nil
}

func unknownTenant(r store.AppendRequest, pks map[uuid.UUID]int64) uuid.UUID {
	for i := range r.Events {
		if _, ok := pks[r.Events[i].TenantID]; !ok {
			return r.Events[i].TenantID
		}
	}
	return uuid.Nil
}

// lockHeads creates the missing head rows of the tenants (pk → id) and
// locks them all, in pk order so two writers never wait on each other in a
// cycle. It returns each tenant's next seq.
func lockHeads(ctx context.Context, tx pgx.Tx, ids map[int64]uuid.UUID) (map[uuid.UUID]int64, error) {
	pks := make([]int64, 0, len(ids))
	for pk := range ids {
		pks = append(pks, pk)
	}
	slices.Sort(pks)
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO tenant_heads (tenant_pk, next_seq, live)
		SELECT pk, 0, 0 FROM unnest($1::bigint[]) WITH ORDINALITY AS u(pk, n) ORDER BY n
		ON CONFLICT (tenant_pk) DO NOTHING`, pks)
	b.Queue(`SELECT tenant_pk, next_seq FROM tenant_heads WHERE tenant_pk = ANY($1) ORDER BY tenant_pk FOR UPDATE`, pks)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, fmt.Errorf("tenant heads: %w", translate(err))
	}
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("lock tenant heads: %w", translate(err))
	}
	heads := make(map[uuid.UUID]int64, len(pks))
	for rows.Next() {
		var pk, next int64
		if err := rows.Scan(&pk, &next); err != nil {
			rows.Close()
			return nil, translate(err)
		}
		heads[ids[pk]] = next
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lock tenant heads: %w", translate(err))
	}
	return heads, translate(br.Close())
}

// idemQuery finds the events of (tenant pk, key) pairs. IS NOT NULL lets
// the planner use the partial unique index.
const idemQuery = `SELECT ` + eventColumns + ` FROM event_log e
	JOIN unnest($1::bigint[], $2::text[]) AS k(tenant_pk, key) ON e.tenant_pk = k.tenant_pk AND e.idempotency_key = k.key
	WHERE e.idempotency_key IS NOT NULL`

// existingIdem finds the stored events that already use the group's
// idempotency keys, in one query.
func (s *Store) existingIdem(ctx context.Context, tx pgx.Tx, pks map[uuid.UUID]int64, ids map[int64]uuid.UUID, keys []store.IdemKey) (map[store.IdemKey]event.Event, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	tpks := make([]int64, len(keys))
	names := make([]string, len(keys))
	for i, k := range keys {
		tpks[i], names[i] = pks[k.Tenant], k.Key
	}
	rows, err := tx.Query(ctx, idemQuery, tpks, names)
	if err != nil {
		return nil, fmt.Errorf("idempotency keys: %w", translate(err))
	}
	defer rows.Close()
	out := map[store.IdemKey]event.Event{}
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		e, err := s.toEvent(ctx, &r, ids[r.tenantPK])
		if err != nil {
			return nil, err
		}
		out[store.IdemKey{Tenant: e.TenantID, Key: e.IdempotencyKey}] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("idempotency keys: %w", translate(err))
	}
	return out, nil
}
