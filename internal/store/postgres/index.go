package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/sqlbuild"
)

// The derived tables (events, event_targets, event_labels,
// tenant_target_types) are folded in from the log by IndexBatch, up to
// each tenant's index mark, in the same transaction as the mark. Each
// statement copies a whole range of a tenant's log in one pass, sorted by
// the target's key, which touches each index page once per batch instead
// of once per acknowledged group.

// indexerLock is the advisory lock key that lets one indexer at a time
// fold on a database, whichever serve process it belongs to ("auditkp" in
// ASCII); ClearIndex waits for it.
const indexerLock = 0x61756469746b70

const lagging = `SELECT h.tenant_pk, COALESCE(m.next_seq, 0), h.next_seq FROM tenant_heads h
	LEFT JOIN index_marks m ON m.tenant_pk = h.tenant_pk
	WHERE h.next_seq > COALESCE(m.next_seq, 0) ORDER BY h.tenant_pk`

// mark is one tenant's index mark against its log head.
type mark struct {
	pk       int64
	from, to int64 // the tail is seq in [from, to)
}

func lagMarks(ctx context.Context, q querier, sql string, args ...any) ([]mark, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []mark
	for rows.Next() {
		var m mark
		if err := rows.Scan(&m.pk, &m.from, &m.to); err != nil {
			return nil, translate(err)
		}
		out = append(out, m)
	}
	return out, translate(rows.Err())
}

var indexStatements = []string{
	`INSERT INTO events (` + sqlbuild.IndexedColumns + `) SELECT ` + sqlbuild.IndexedFromLog + ` FROM event_log
		WHERE tenant_pk = $1 AND seq >= $2 AND seq < $3 ORDER BY id`,
	// An event may name one target twice; the index row is one.
	`INSERT INTO event_targets (tenant_pk, type, target_id, occurred_at, event_id)
		SELECT DISTINCT l.tenant_pk, j->>'type', j->>'id', l.occurred_at, l.id
		FROM event_log l, jsonb_array_elements(l.targets::jsonb) j
		WHERE l.tenant_pk = $1 AND l.seq >= $2 AND l.seq < $3 AND l.targets IS NOT NULL ORDER BY 1, 2, 3, 4, 5
		ON CONFLICT DO NOTHING`,
	`INSERT INTO event_labels (tenant_pk, key, value, occurred_at, event_id)
		SELECT l.tenant_pk, j.key, j.value, l.occurred_at, l.id
		FROM event_log l, jsonb_each_text(l.labels::jsonb) j
		WHERE l.tenant_pk = $1 AND l.seq >= $2 AND l.seq < $3 AND l.labels IS NOT NULL ORDER BY 1, 2, 3, 4, 5`,
	`INSERT INTO tenant_target_types (tenant_pk, type)
		SELECT DISTINCT tenant_pk, target_type FROM event_log
		WHERE tenant_pk = $1 AND seq >= $2 AND seq < $3 AND target_type <> ''
		ON CONFLICT DO NOTHING`,
}

const setMark = `INSERT INTO index_marks (tenant_pk, next_seq) VALUES ($1, $2)
	ON CONFLICT (tenant_pk) DO UPDATE SET next_seq = excluded.next_seq`

// IndexBatch implements store.Indexer. Heads are read under READ
// COMMITTED: a tenant's seqs below its head are committed, gap-free,
// whatever other tenants' writers are doing.
func (s *Store) IndexBatch(ctx context.Context, max int) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, translate(err)
	}
	defer tx.Rollback(ctx)
	// Another process's indexer folding now makes this one's batch
	// unnecessary, not late: skip it rather than wait holding a connection.
	var mine bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, int64(indexerLock)).Scan(&mine); err != nil {
		return 0, fmt.Errorf("indexer lock: %w", translate(err))
	}
	if !mine {
		return 0, nil
	}
	marks, err := lagMarks(ctx, tx, lagging)
	if err != nil {
		return 0, err
	}
	n := 0
	b := &pgx.Batch{}
	for _, m := range marks {
		if n >= max {
			break
		}
		to := min(m.to, m.from+int64(max-n))
		for _, q := range indexStatements {
			b.Queue(q, m.pk, m.from, to)
		}
		b.Queue(setMark, m.pk, to)
		n += int(to - m.from)
	}
	if n == 0 {
		return 0, nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, fmt.Errorf("index: %w", translate(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, translate(err)
	}
	return n, nil
}

// Lag implements store.Indexer.
func (s *Store) Lag(ctx context.Context) (store.Lag, error) {
	var lag store.Lag
	marks, err := lagMarks(ctx, s.pool, lagging)
	if err != nil {
		return lag, err
	}
	for _, m := range marks {
		lag.Events += m.to - m.from
		var rec time.Time
		if err := s.pool.QueryRow(ctx, `SELECT recorded_at FROM event_log WHERE tenant_pk = $1 AND seq = $2`, m.pk, m.from).Scan(&rec); err != nil {
			return lag, translate(err)
		}
		if lag.Oldest.IsZero() || rec.Before(lag.Oldest) {
			lag.Oldest = rec.UTC()
		}
	}
	return lag, nil
}

// ClearIndex implements store.Indexer.
func (s *Store) ClearIndex(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(indexerLock)); err != nil {
		return fmt.Errorf("indexer lock: %w", translate(err))
	}
	for _, t := range []string{"events", "event_targets", "event_labels", "tenant_target_types", "index_marks"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+t); err != nil {
			return fmt.Errorf("clear %s: %w", t, translate(err))
		}
	}
	return translate(tx.Commit(ctx))
}

// snapshot is a read transaction: the index marks, the index rows and the
// tails it reads agree with each other.
func (s *Store) snapshot(ctx context.Context) (pgx.Tx, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	return tx, translate(err)
}

// view is what a read of the tenants (pks) reads the indexes through, with
// their tail. When none of them lags, the tail is empty and the indexes
// alone are exact: every event acknowledged before the check was indexed,
// and the reads that follow see at least that. Then a plain statement
// serves, without the snapshot's extra round trips. Otherwise a snapshot
// transaction holds the marks, the index rows and the tail together. done
// ends it.
func (s *Store) view(ctx context.Context, pks []int64) (querier, []event.Event, func(), error) {
	var behind bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tenant_heads h
		LEFT JOIN index_marks m ON m.tenant_pk = h.tenant_pk
		WHERE h.tenant_pk = ANY($1) AND h.next_seq > COALESCE(m.next_seq, 0))`, pks).Scan(&behind); err != nil {
		return nil, nil, nil, translate(err)
	}
	if !behind {
		return s.pool, nil, func() {}, nil
	}
	tx, err := s.snapshot(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	tail, err := s.tail(ctx, tx, pks)
	if err != nil {
		tx.Rollback(ctx)
		return nil, nil, nil, err
	}
	return tx, tail, func() { tx.Rollback(ctx) }, nil
}

// tail reads the not-yet-indexed events of the tenants (pks) in the
// snapshot of tx: one range of (tenant_pk, seq) per tenant behind.
func (s *Store) tail(ctx context.Context, tx pgx.Tx, pks []int64) ([]event.Event, error) {
	rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM tenant_heads h
		LEFT JOIN index_marks m ON m.tenant_pk = h.tenant_pk
		JOIN event_log e ON e.tenant_pk = h.tenant_pk AND e.seq >= COALESCE(m.next_seq, 0)
		WHERE h.tenant_pk = ANY($1) AND h.next_seq > COALESCE(m.next_seq, 0)`, pks)
	if err != nil {
		return nil, translate(err)
	}
	return s.scanEvents(ctx, rows)
}
