package sqlite

import (
	"context"
	"fmt"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// BaselineInsert is the benchmarks' yardstick, not an ingest path: it
// writes events straight into the events table (with all its indexes) with
// one prepared statement in one transaction, assigning ids and seqs itself,
// without idempotency, targets, labels, counters or ledger. docs/
// BENCHMARKS.md compares real ingest against it.
func (s *Store) BaselineInsert(ctx context.Context, evs []event.Event) error {
	if len(evs) == 0 {
		return nil
	}
	pks, err := s.tenantPKs(ctx, s.writer, store.GroupTenants([]store.AppendRequest{{Events: evs}}))
	if err != nil {
		return err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	var next int64
	if err := tx.QueryRowContext(ctx, `SELECT MAX((SELECT COALESCE(MAX(id), 0) FROM events), (SELECT COALESCE(MAX(id), 0) + 1000000000 FROM event_log)) + 1`).Scan(&next); err != nil {
		return translate(err)
	}
	// Seqs far above anything ingest assigns keep the unique index happy.
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1000000000 FROM events`).Scan(&seq); err != nil {
		return translate(err)
	}
	ins, err := tx.PrepareContext(ctx, insertEvent)
	if err != nil {
		return translate(err)
	}
	defer ins.Close()
	for i := range evs {
		e := &evs[i]
		_, err := ins.ExecContext(ctx, eventArgs(e, pks[e.TenantID], next, seq, e.OccurredAt, nil)...)
		if err != nil {
			return fmt.Errorf("baseline insert: %w", translate(err))
		}
		next++
		seq++
	}
	return translate(tx.Commit())
}
