package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/store"
)

// dbtx is what both a *sql.DB and a *sql.Tx offer.
type dbtx interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tileSource reads a tenant's tiles and leaf hashes through q.
func tileSource(ctx context.Context, q dbtx, pk int64) ledger.TileSource {
	return store.NewTileSource(ctx,
		func(ctx context.Context, level int, from, to int64) ([][]byte, error) {
			rows, err := q.QueryContext(ctx, `SELECT idx, data FROM ledger_tiles WHERE tenant_pk = ? AND level = ? AND idx >= ? AND idx < ? ORDER BY idx`, pk, level, from, to)
			if err != nil {
				return nil, translate(err)
			}
			defer rows.Close()
			return store.ReadTiles(rows, level, from, to, translate)
		},
		func(ctx context.Context, from, to int64) ([]tlog.Hash, error) {
			rows, err := q.QueryContext(ctx, `SELECT seq, leaf_hash FROM event_log WHERE tenant_pk = ? AND seq >= ? AND seq < ? ORDER BY seq`, pk, from, to)
			if err != nil {
				return nil, translate(err)
			}
			defer rows.Close()
			return store.ReadLeaves(rows, from, to, translate)
		})
}

// LedgerSource implements store.Ledger.
func (s *Store) LedgerSource(ctx context.Context, tenant uuid.UUID) (ledger.TileSource, int64, error) {
	pks, err := s.tenantPKs(ctx, s.reader, []uuid.UUID{tenant})
	if err != nil {
		return nil, 0, err
	}
	pk, ok := pks[tenant]
	if !ok {
		return nil, 0, fmt.Errorf("tenant %s: %w", tenant, event.ErrNotFound)
	}
	var size int64
	err = s.reader.QueryRowContext(ctx, `SELECT next_seq FROM tenant_heads WHERE tenant_pk = ?`, pk).Scan(&size)
	if err != nil && err != sql.ErrNoRows {
		return nil, 0, translate(err)
	}
	return s.tails.Cache.Source(tenant.String(), tileSource(ctx, s.reader, pk)), size, nil
}

// LedgerSizes implements store.Ledger.
func (s *Store) LedgerSizes(ctx context.Context) (map[uuid.UUID]int64, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT t.id, h.next_seq FROM tenant_heads h JOIN tenants t ON t.pk = h.tenant_pk`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := map[uuid.UUID]int64{}
	for rows.Next() {
		var id []byte
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, translate(err)
		}
		out[uuid.UUID(id)] = n
	}
	return out, translate(rows.Err())
}

// PutCheckpoint implements store.Ledger.
func (s *Store) PutCheckpoint(ctx context.Context, cp store.StoredCheckpoint) error {
	pks, err := s.tenantPKs(ctx, s.writer, []uuid.UUID{cp.Tenant})
	if err != nil {
		return err
	}
	pk, ok := pks[cp.Tenant]
	if !ok {
		return fmt.Errorf("tenant %s: %w", cp.Tenant, event.ErrNotFound)
	}
	_, err = s.writer.ExecContext(ctx, `INSERT INTO ledger_checkpoints (tenant_pk, size, root, signed_at, note) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		pk, cp.Size, cp.Root[:], micros(cp.Time), cp.Note)
	return translate(err)
}

// Checkpoints implements store.Ledger.
func (s *Store) Checkpoints(ctx context.Context, tenant uuid.UUID, size int64, latest bool) ([]store.StoredCheckpoint, error) {
	pks, err := s.tenantPKs(ctx, s.reader, []uuid.UUID{tenant})
	if err != nil {
		return nil, err
	}
	pk, ok := pks[tenant]
	if !ok {
		return nil, nil
	}
	q := `SELECT size, root, signed_at, note FROM ledger_checkpoints WHERE tenant_pk = ?`
	args := []any{pk}
	switch {
	case latest:
		q += ` ORDER BY size DESC LIMIT 1`
	case size > 0:
		q += ` AND size = ?`
		args = append(args, size)
	default:
		q += ` ORDER BY size`
	}
	return s.queryCheckpoints(ctx, tenant, q, args...)
}

// CheckpointPage implements store.Ledger: a range of the primary key
// (tenant_pk, size).
func (s *Store) CheckpointPage(ctx context.Context, tenant uuid.UUID, after int64, limit int) ([]store.StoredCheckpoint, error) {
	pks, err := s.tenantPKs(ctx, s.reader, []uuid.UUID{tenant})
	if err != nil {
		return nil, err
	}
	pk, ok := pks[tenant]
	if !ok {
		return nil, nil
	}
	return s.queryCheckpoints(ctx, tenant, checkpointPageSQL, pk, after, limit)
}

const checkpointPageSQL = `SELECT size, root, signed_at, note FROM ledger_checkpoints WHERE tenant_pk = ? AND size > ? ORDER BY size LIMIT ?`

func (s *Store) queryCheckpoints(ctx context.Context, tenant uuid.UUID, q string, args ...any) ([]store.StoredCheckpoint, error) {
	rows, err := s.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []store.StoredCheckpoint
	for rows.Next() {
		cp := store.StoredCheckpoint{Tenant: tenant}
		var root []byte
		var at int64
		if err := rows.Scan(&cp.Size, &root, &at, &cp.Note); err != nil {
			return nil, translate(err)
		}
		copy(cp.Root[:], root)
		cp.Time = fromMicros(at)
		out = append(out, cp)
	}
	return out, translate(rows.Err())
}

// ScanLedger implements store.Ledger. It reads in pages so a long scan
// holds no read transaction open for its whole length.
func (s *Store) ScanLedger(ctx context.Context, tenant uuid.UUID, from int64, fn func(e *event.Event, leaf []byte) error) error {
	pks, err := s.tenantPKs(ctx, s.reader, []uuid.UUID{tenant})
	if err != nil {
		return err
	}
	pk, ok := pks[tenant]
	if !ok {
		return fmt.Errorf("tenant %s: %w", tenant, event.ErrNotFound)
	}
	const page = 5000
	for {
		rows, err := s.reader.QueryContext(ctx, `SELECT `+eventColumns+`, e.leaf_hash FROM event_log e WHERE e.tenant_pk = ? AND e.seq >= ? ORDER BY e.seq LIMIT ?`, pk, from, page)
		if err != nil {
			return translate(err)
		}
		n := 0
		for rows.Next() {
			var leaf []byte
			e, err := s.scanEventWith(ctx, rows, &leaf)
			if err != nil {
				rows.Close()
				return err
			}
			n++
			from = e.Seq + 1
			if err := fn(&e, leaf); err != nil {
				rows.Close()
				return err
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return translate(err)
		}
		if n < page {
			return nil
		}
	}
}

// LedgerKeys implements store.Ledger.
func (s *Store) LedgerKeys(ctx context.Context) ([]store.LedgerKey, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT id, vkey, sealed, created_at, retired_at FROM ledger_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []store.LedgerKey
	for rows.Next() {
		var k store.LedgerKey
		var created int64
		var retired sql.NullInt64
		if err := rows.Scan(&k.ID, &k.VKey, &k.Sealed, &created, &retired); err != nil {
			return nil, translate(err)
		}
		k.CreatedAt = fromMicros(created)
		if retired.Valid {
			k.RetiredAt = fromMicros(retired.Int64)
		}
		out = append(out, k)
	}
	return out, translate(rows.Err())
}

// PutLedgerKey implements store.Ledger.
func (s *Store) PutLedgerKey(ctx context.Context, k store.LedgerKey) error {
	_, err := s.writer.ExecContext(ctx, `INSERT INTO ledger_keys (id, vkey, sealed, created_at) VALUES (?, ?, ?, ?)`,
		k.ID, k.VKey, nullBytes(k.Sealed), micros(k.CreatedAt))
	return translate(err)
}

// RetireLedgerKey implements store.Ledger.
func (s *Store) RetireLedgerKey(ctx context.Context, id string, at time.Time) error {
	res, err := s.writer.ExecContext(ctx, `UPDATE ledger_keys SET retired_at = COALESCE(retired_at, ?) WHERE id = ?`, micros(at), id)
	if err != nil {
		return translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("ledger key %s: %w", id, event.ErrNotFound)
	}
	return nil
}
