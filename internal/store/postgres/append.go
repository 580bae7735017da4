package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Append implements store.Store: the shared sequence (store.AppendGroup)
// over appendTx.
func (s *Store) Append(ctx context.Context, reqs []store.AppendRequest) ([]store.AppendResult, error) {
	var tails *store.Tails
	if !s.opts.NoLedger {
		tails = s.tails
	}
	return store.AppendSplitting(reqs, func(g []store.AppendRequest) ([]store.AppendResult, error) {
		return store.AppendGroup(ctx, &appendTx{s: s}, tails, g)
	})
}

// appendTx is PostgreSQL's part of an append. Its only locks are the heads
// of the group's tenants: ids come from a sequence, which never waits, so
// groups of different tenants commit in parallel, from one process or
// several. Ids therefore do not commit in id order across tenants; within
// a tenant they do (they are drawn under its head lock), and the index
// marks are per tenant on seq (store/tail.go).
type appendTx struct {
	s  *Store
	tx pgx.Tx // begun by LockHeads
}

// TenantPKs runs before the transaction begins: an uncached tenant needs a
// connection of its own, which a writer already holding one could wait
// for forever when the pool is spent. Tenants are never deleted, so the
// pks need no lock.
func (a *appendTx) TenantPKs(ctx context.Context, tenants []uuid.UUID) (map[uuid.UUID]int64, error) {
	return a.s.tenantPKs(ctx, tenants)
}

func (a *appendTx) LockHeads(ctx context.Context, pks map[uuid.UUID]int64) (map[uuid.UUID]int64, error) {
	tx, err := a.s.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err)
	}
	a.tx = tx
	ids := make(map[int64]uuid.UUID, len(pks))
	for t, pk := range pks {
		ids[pk] = t
	}
	return lockHeads(ctx, a.tx, ids)
}

func (a *appendTx) Idempotent(ctx context.Context, pks map[uuid.UUID]int64, keys []store.IdemKey) (map[store.IdemKey]event.Event, error) {
	ids := make(map[int64]uuid.UUID, len(pks))
	for t, pk := range pks {
		ids[pk] = t
	}
	return a.s.existingIdem(ctx, a.tx, pks, ids, keys)
}

func (a *appendTx) IDs(ctx context.Context, n int) ([]int64, error) {
	rows, err := a.tx.Query(ctx, `SELECT nextval('event_ids') FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, fmt.Errorf("event ids: %w", translate(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("event ids: %w", translate(err))
	}
	slices.Sort(ids)
	return ids, nil
}

func (a *appendTx) Tiles(ctx context.Context, pk int64) ledger.TileSource {
	return tileSource(ctx, a.tx, pk)
}

func (a *appendTx) Insert(ctx context.Context, pks map[uuid.UUID]int64, plan *store.Plan, pend *store.Pending) error {
	if err := insert(ctx, a.tx, pks, plan); err != nil {
		return err
	}
	return insertTiles(ctx, a.tx, pks, pend)
}

func (a *appendTx) Commit(ctx context.Context) error { return translate(a.tx.Commit(ctx)) }

func (a *appendTx) Rollback(ctx context.Context) {
	if a.tx != nil {
		a.tx.Rollback(ctx)
	}
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
