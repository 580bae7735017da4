package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/sqlbuild"
)

// BaselineInsert is the benchmarks' yardstick, not an ingest path: it
// copies events straight into the (derived) events table with all its
// indexes, with one COPY in one transaction, assigning ids itself, without
// the log, idempotency, targets, labels, counters or ledger. docs/BENCHMARKS.md
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
	// Ids far above anything ingest assigns keep the primary key happy;
	// ingest's sequence is left alone.
	var next int64
	if err := tx.QueryRow(ctx, `SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM events), (SELECT COALESCE(MAX(id), 0) + 1000000000 FROM event_log)) + 1`).Scan(&next); err != nil {
		return translate(err)
	}
	rows := make([][]any, len(evs))
	for i := range evs {
		e := &evs[i]
		pt := e.PrimaryTarget()
		rows[i] = []any{next + int64(i), pks[e.TenantID], e.UUID, e.OccurredAt, e.Category, e.Action, string(e.ActionType), string(e.Status), e.Level,
			e.Actor.Type, nullString(e.Actor.ID), e.Actor.Email, pt.Type, nullString(pt.ID), e.Subject.Type, nullString(e.Subject.ID),
			nullString(e.ExternalRef), e.Context, nullString(e.RequestID), nullString(e.SessionID), e.Channel, e.Source}
	}
	cols := strings.Fields(strings.ReplaceAll(sqlbuild.IndexedColumns, ",", " "))
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("baseline copy: %w", translate(err))
	}
	return translate(tx.Commit(ctx))
}
