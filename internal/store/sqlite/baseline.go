package sqlite

import (
	"context"
	"fmt"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/sqlbuild"
)

// BaselineInsert is the benchmarks' yardstick, not an ingest path: it
// writes events straight into the (derived) events table with all its
// indexes, with one prepared statement in one transaction, assigning ids
// itself, without the log, idempotency, targets, labels, counters or
// ledger. docs/
// BENCHMARKS.md compares real ingest against it.
func (s *Store) BaselineInsert(ctx context.Context, evs []event.Event) error {
	if len(evs) == 0 {
		return nil
	}
	pks, err := s.tenantPKs(ctx, s.writer, store.GroupTenants([]store.AppendRequest{{Events: evs}}))
	if err != nil {
		return err
	}
	// The events table lives in the index file, on the indexer's
	// connection; ids start far above the log's so none collides with an
	// event the indexer folds in later.
	tx, err := s.beginIndex(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	var next int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1000000001 FROM events`).Scan(&next); err != nil {
		return translate(err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO events (`+sqlbuild.IndexedColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return translate(err)
	}
	defer ins.Close()
	for i := range evs {
		e := &evs[i]
		pt := e.PrimaryTarget()
		_, err := ins.ExecContext(ctx, next, pks[e.TenantID], e.UUID[:], micros(e.OccurredAt), e.Category, e.Action, string(e.ActionType), string(e.Status), e.Level,
			e.Actor.Type, nullString(e.Actor.ID), e.Actor.Email, pt.Type, nullString(pt.ID), e.Subject.Type, nullString(e.Subject.ID),
			nullString(e.ExternalRef), e.Context, nullString(e.RequestID), nullString(e.SessionID), e.Channel, e.Source)
		if err != nil {
			return fmt.Errorf("baseline insert: %w", translate(err))
		}
		next++
	}
	return translate(tx.Commit())
}
