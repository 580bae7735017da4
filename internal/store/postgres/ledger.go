package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/store"
)

// querier is what a pool and a transaction both offer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// tileSource reads a tenant's tiles and leaf hashes through q.
func tileSource(ctx context.Context, q querier, pk int64) ledger.TileSource {
	return store.NewTileSource(ctx,
		func(ctx context.Context, level int, from, to int64) ([][]byte, error) {
			rows, err := q.Query(ctx, `SELECT idx, data FROM ledger_tiles WHERE tenant_pk = $1 AND level = $2 AND idx >= $3 AND idx < $4 ORDER BY idx`, pk, level, from, to)
			if err != nil {
				return nil, translate(err)
			}
			defer rows.Close()
			return store.ReadTiles(rows, level, from, to, translate)
		},
		func(ctx context.Context, from, to int64) ([]tlog.Hash, error) {
			rows, err := q.Query(ctx, `SELECT seq, leaf_hash FROM event_log WHERE tenant_pk = $1 AND seq >= $2 AND seq < $3 ORDER BY seq`, pk, from, to)
			if err != nil {
				return nil, translate(err)
			}
			defer rows.Close()
			return store.ReadLeaves(rows, from, to, translate)
		})
}

func (s *Store) onePK(ctx context.Context, tenant uuid.UUID) (int64, error) {
	pks, err := s.tenantPKs(ctx, []uuid.UUID{tenant})
	if err != nil {
		return 0, err
	}
	pk, ok := pks[tenant]
	if !ok {
		return 0, fmt.Errorf("tenant %s: %w", tenant, event.ErrNotFound)
	}
	return pk, nil
}

// LedgerSource implements store.Ledger.
func (s *Store) LedgerSource(ctx context.Context, tenant uuid.UUID) (ledger.TileSource, int64, error) {
	pk, err := s.onePK(ctx, tenant)
	if err != nil {
		return nil, 0, err
	}
	var size int64
	err = s.pool.QueryRow(ctx, `SELECT next_seq FROM tenant_heads WHERE tenant_pk = $1`, pk).Scan(&size)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, translate(err)
	}
	return s.tails.Cache.Source(tenant.String(), tileSource(ctx, s.pool, pk)), size, nil
}

// LedgerSizes implements store.Ledger.
func (s *Store) LedgerSizes(ctx context.Context) (map[uuid.UUID]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.id, h.next_seq FROM tenant_heads h JOIN tenants t ON t.pk = h.tenant_pk`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := map[uuid.UUID]int64{}
	for rows.Next() {
		var id uuid.UUID
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, translate(err)
		}
		out[id] = n
	}
	return out, translate(rows.Err())
}

// PutCheckpoint implements store.Ledger.
func (s *Store) PutCheckpoint(ctx context.Context, cp store.StoredCheckpoint) error {
	pk, err := s.onePK(ctx, cp.Tenant)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO ledger_checkpoints (tenant_pk, size, root, signed_at, note) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		pk, cp.Size, cp.Root[:], dbTime(cp.Time), cp.Note)
	return translate(err)
}

// Checkpoints implements store.Ledger.
func (s *Store) Checkpoints(ctx context.Context, tenant uuid.UUID, size int64, latest bool) ([]store.StoredCheckpoint, error) {
	pk, err := s.onePK(ctx, tenant)
	if errors.Is(err, event.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	q := `SELECT size, root, signed_at, note FROM ledger_checkpoints WHERE tenant_pk = $1`
	args := []any{pk}
	switch {
	case latest:
		q += ` ORDER BY size DESC LIMIT 1`
	case size > 0:
		q += ` AND size = $2`
		args = append(args, size)
	default:
		q += ` ORDER BY size`
	}
	return s.queryCheckpoints(ctx, tenant, q, args...)
}

// CheckpointPage implements store.Ledger: a range of the primary key
// (tenant_pk, size).
func (s *Store) CheckpointPage(ctx context.Context, tenant uuid.UUID, after int64, limit int) ([]store.StoredCheckpoint, error) {
	pk, err := s.onePK(ctx, tenant)
	if errors.Is(err, event.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.queryCheckpoints(ctx, tenant, `SELECT size, root, signed_at, note FROM ledger_checkpoints WHERE tenant_pk = $1 AND size > $2 ORDER BY size LIMIT $3`, pk, after, limit)
}

func (s *Store) queryCheckpoints(ctx context.Context, tenant uuid.UUID, q string, args ...any) ([]store.StoredCheckpoint, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []store.StoredCheckpoint
	for rows.Next() {
		cp := store.StoredCheckpoint{Tenant: tenant}
		var root []byte
		if err := rows.Scan(&cp.Size, &root, &cp.Time, &cp.Note); err != nil {
			return nil, translate(err)
		}
		copy(cp.Root[:], root)
		cp.Time = cp.Time.UTC()
		out = append(out, cp)
	}
	return out, translate(rows.Err())
}

// ScanLedger implements store.Ledger, in pages so no transaction stays
// open for a whole scan.
func (s *Store) ScanLedger(ctx context.Context, tenant uuid.UUID, from int64, fn func(e *event.Event, leaf []byte) error) error {
	pk, err := s.onePK(ctx, tenant)
	if err != nil {
		return err
	}
	const page = 5000
	for {
		rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+`, e.leaf_hash FROM event_log e WHERE e.tenant_pk = $1 AND e.seq >= $2 ORDER BY e.seq LIMIT $3`, pk, from, page)
		if err != nil {
			return translate(err)
		}
		var batch []event.Event
		var leaves [][]byte
		for rows.Next() {
			var r eventRow
			var leaf []byte
			if err := rows.Scan(append(r.dest(), &leaf)...); err != nil {
				rows.Close()
				return translate(err)
			}
			e, err := s.toEvent(ctx, &r, tenant)
			if err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, e)
			leaves = append(leaves, leaf)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return translate(err)
		}
		for i := range batch {
			from = batch[i].Seq + 1
			if err := fn(&batch[i], leaves[i]); err != nil {
				return err
			}
		}
		if len(batch) < page {
			return nil
		}
	}
}

// LedgerKeys implements store.Ledger.
func (s *Store) LedgerKeys(ctx context.Context) ([]store.LedgerKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, vkey, sealed, created_at, retired_at FROM ledger_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []store.LedgerKey
	for rows.Next() {
		var k store.LedgerKey
		var retired *time.Time
		if err := rows.Scan(&k.ID, &k.VKey, &k.Sealed, &k.CreatedAt, &retired); err != nil {
			return nil, translate(err)
		}
		k.CreatedAt = k.CreatedAt.UTC()
		if retired != nil {
			k.RetiredAt = retired.UTC()
		}
		out = append(out, k)
	}
	return out, translate(rows.Err())
}

// PutLedgerKey implements store.Ledger.
func (s *Store) PutLedgerKey(ctx context.Context, k store.LedgerKey) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO ledger_keys (id, vkey, sealed, created_at) VALUES ($1, $2, $3, $4)`,
		k.ID, k.VKey, nullBytes(k.Sealed), dbTime(k.CreatedAt))
	return translate(err)
}

// RetireLedgerKey implements store.Ledger.
func (s *Store) RetireLedgerKey(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE ledger_keys SET retired_at = COALESCE(retired_at, $1) WHERE id = $2`, dbTime(at), id)
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("ledger key %s: %w", id, event.ErrNotFound)
	}
	return nil
}
