package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/sqlbuild"
)

// The derived tables (events, event_targets, event_labels,
// tenant_target_types) are folded in from the log by IndexBatch, up to
// each tenant's index mark, in the same transaction as the mark. Each
// statement copies a whole range of a tenant's log in one pass, sorted by
// the side tables' keys, which touches each index page once per batch
// instead of once per acknowledged group.

const lagging = `SELECT h.tenant_pk, COALESCE(m.next_seq, 0), h.next_seq FROM tenant_heads h
	LEFT JOIN index_marks m ON m.tenant_pk = h.tenant_pk
	WHERE h.next_seq > COALESCE(m.next_seq, 0) ORDER BY h.tenant_pk`

// mark is one tenant's index mark against its log head.
type mark struct {
	pk       int64
	from, to int64 // the tail is seq in [from, to)
}

type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func lagMarks(ctx context.Context, q rowsQuerier, query string, args ...any) ([]mark, error) {
	rows, err := q.QueryContext(ctx, query, args...)
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

// IndexBatch implements store.Indexer. It runs on the index file's
// connection: reading the log takes only a read snapshot of it, so group
// commits go on meanwhile.
func (s *Store) IndexBatch(ctx context.Context, max int) (int, error) {
	tx, err := s.beginIndex(ctx)
	if err != nil {
		return 0, translate(err)
	}
	defer tx.Rollback()
	marks, err := lagMarks(ctx, tx, lagging)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range marks {
		if n >= max {
			break
		}
		to := min(m.to, m.from+int64(max-n))
		for _, q := range []string{
			`INSERT INTO events (` + sqlbuild.IndexedColumns + `) SELECT ` + sqlbuild.IndexedFromLog + ` FROM event_log
				WHERE tenant_pk = ? AND seq >= ? AND seq < ? ORDER BY id`,
			// An event may name one target twice; the index row is one.
			`INSERT OR IGNORE INTO event_targets (tenant_pk, type, target_id, occurred_at, event_id)
				SELECT l.tenant_pk, json_extract(j.value, '$.type'), json_extract(j.value, '$.id'), l.occurred_at, l.id
				FROM event_log l, json_each(l.targets) j
				WHERE l.tenant_pk = ? AND l.seq >= ? AND l.seq < ? AND l.targets IS NOT NULL ORDER BY 1, 2, 3, 4, 5`,
			`INSERT INTO event_labels (tenant_pk, key, value, occurred_at, event_id)
				SELECT l.tenant_pk, j.key, j.value, l.occurred_at, l.id
				FROM event_log l, json_each(l.labels) j
				WHERE l.tenant_pk = ? AND l.seq >= ? AND l.seq < ? AND l.labels IS NOT NULL ORDER BY 1, 2, 3, 4, 5`,
			`INSERT OR IGNORE INTO tenant_target_types (tenant_pk, type)
				SELECT DISTINCT tenant_pk, target_type FROM event_log
				WHERE tenant_pk = ? AND seq >= ? AND seq < ? AND target_type <> ''`,
		} {
			if _, err := tx.ExecContext(ctx, q, m.pk, m.from, to); err != nil {
				return 0, fmt.Errorf("index: %w", translate(err))
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO index_marks (tenant_pk, next_seq) VALUES (?, ?)
			ON CONFLICT (tenant_pk) DO UPDATE SET next_seq = excluded.next_seq`, m.pk, to); err != nil {
			return 0, fmt.Errorf("index mark: %w", translate(err))
		}
		n += int(to - m.from)
	}
	if n == 0 {
		return 0, nil
	}
	if err := tx.Commit(); err != nil {
		return 0, translate(err)
	}
	return n, nil
}

// Lag implements store.Indexer.
func (s *Store) Lag(ctx context.Context) (store.Lag, error) {
	var lag store.Lag
	marks, err := lagMarks(ctx, s.reader, lagging)
	if err != nil {
		return lag, err
	}
	for _, m := range marks {
		lag.Events += m.to - m.from
		var rec int64
		if err := s.reader.QueryRowContext(ctx, `SELECT recorded_at FROM event_log WHERE tenant_pk = ? AND seq = ?`, m.pk, m.from).Scan(&rec); err != nil {
			return lag, translate(err)
		}
		if t := fromMicros(rec); lag.Oldest.IsZero() || t.Before(lag.Oldest) {
			lag.Oldest = t
		}
	}
	return lag, nil
}

// ClearIndex implements store.Indexer.
func (s *Store) ClearIndex(ctx context.Context) error {
	tx, err := s.beginIndex(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	for _, t := range []string{"events", "event_targets", "event_labels", "tenant_target_types", "index_marks"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
			return fmt.Errorf("clear %s: %w", t, translate(err))
		}
	}
	return translate(tx.Commit())
}

// snapshot is a read transaction: the index marks, the index rows and the
// tails it reads agree with each other.
func (s *Store) snapshot(ctx context.Context) (cachedTx, error) {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return cachedTx{}, translate(err)
	}
	return cachedTx{Tx: tx, db: s.reader, missed: new([]string)}, nil
}

// tail reads the not-yet-indexed events of the tenants (pks), in the
// snapshot of tx. The marks are read first, alone: that statement starts
// the index file's snapshot, and the log's starts after it, so every event
// the index holds is in the log's snapshot too (a page joins the log for
// its rows) and the tail, seq ≥ mark, starts where the index ends.
func (s *Store) tail(ctx context.Context, tx cachedTx, pks []int64) ([]event.Event, error) {
	b := sqlbuild.New(dialect).W(`SELECT tenant_pk, next_seq FROM index_marks WHERE `)
	sqlbuild.In(b, "tenant_pk", pks)
	marks, err := pkSeqs(ctx, tx, b)
	if err != nil {
		return nil, err
	}
	b = sqlbuild.New(dialect).W(`SELECT tenant_pk, next_seq FROM tenant_heads WHERE `)
	sqlbuild.In(b, "tenant_pk", pks)
	heads, err := pkSeqs(ctx, tx, b)
	if err != nil {
		return nil, err
	}
	var out []event.Event
	for pk, head := range heads {
		from := marks[pk]
		if head <= from {
			continue
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+eventColumns+` FROM event_log e WHERE e.tenant_pk = ? AND e.seq >= ?`, pk, from)
		if err != nil {
			return nil, translate(err)
		}
		for rows.Next() {
			e, err := s.scanEvent(ctx, rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, translate(err)
		}
	}
	return out, nil
}

// pkSeqs runs a query of (tenant pk, seq) rows.
func pkSeqs(ctx context.Context, tx cachedTx, b *sqlbuild.Builder) (map[int64]int64, error) {
	rows, err := tx.QueryContext(ctx, b.SQL(), b.Args()...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var pk, seq int64
		if err := rows.Scan(&pk, &seq); err != nil {
			return nil, translate(err)
		}
		out[pk] = seq
	}
	return out, translate(rows.Err())
}
