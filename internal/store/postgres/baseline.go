package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// BaselineInsert is the benchmarks' yardstick, not an ingest path: it
// copies events straight into the events table (with all its indexes) with
// one COPY in one transaction, assigning ids and seqs itself, without
// idempotency, targets, labels, counters or ledger. docs/BENCHMARKS.md
// compares real ingest against it.
func (s *Store) BaselineInsert(ctx context.Context, evs []event.Event) error {
	if len(evs) == 0 {
		return nil
	}
	pks, err := s.tenantPKs(ctx, store.GroupTenants([]store.AppendRequest{{Events: evs}}))
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback(ctx)
	// Ids and seqs far above anything ingest assigns keep the unique
	// indexes happy; ingest's counters are left alone.
	var next, seq int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) + 1000000000, COALESCE(MAX(seq), 0) + 1000000000 FROM events`).Scan(&next, &seq); err != nil {
		return translate(err)
	}
	rows := make([][]any, len(evs))
	for i := range evs {
		e := &evs[i]
		rows[i] = copyRow(e, pks[e.TenantID], next+int64(i), seq+int64(i), e.OccurredAt, nil)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, eventCopyColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("baseline copy: %w", translate(err))
	}
	return translate(tx.Commit(ctx))
}
