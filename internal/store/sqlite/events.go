package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/sqlbuild"
)

const eventColumns = `e.id, e.tenant_pk, e.seq, e.uuid, e.recorded_at, e.occurred_at, COALESCE(e.idempotency_key, ''),
	e.category, e.action, e.action_type, e.status, e.level, e.summary, e.details,
	e.actor_type, e.actor_id, e.actor_name, e.actor_email, e.targets,
	e.subject_type, e.subject_id, e.external_ref, e.context, e.request_id, e.session_id, e.channel, e.source,
	e.changes, e.reason, e.labels, e.metadata, e.payload_digest`

func (s *Store) scanEvent(ctx context.Context, row interface{ Scan(...any) error }) (event.Event, error) {
	return s.scanEventWith(ctx, row)
}

// scanEventWith scans eventColumns followed by the extra destinations.
func (s *Store) scanEventWith(ctx context.Context, row interface{ Scan(...any) error }, extra ...any) (event.Event, error) {
	var e event.Event
	var tenantPK, recorded, occurred int64
	var id []byte
	var actionType, status string
	var targets, changes, labels, metadata []byte
	dest := append([]any{&e.ID, &tenantPK, &e.Seq, &id, &recorded, &occurred, &e.IdempotencyKey,
		&e.Category, &e.Action, &actionType, &status, &e.Level, &e.Summary, &e.Details,
		&e.Actor.Type, &e.Actor.ID, &e.Actor.Name, &e.Actor.Email, &targets,
		&e.Subject.Type, &e.Subject.ID, &e.ExternalRef, &e.Context, &e.RequestID, &e.SessionID, &e.Channel, &e.Source,
		&changes, &e.Reason, &labels, &metadata, &e.PayloadDigest}, extra...)
	err := row.Scan(dest...)
	if err != nil {
		return e, translate(err)
	}
	e.UUID = uuid.UUID(id)
	e.RecordedAt, e.OccurredAt = fromMicros(recorded), fromMicros(occurred)
	e.ActionType, e.Status = event.ActionType(actionType), event.Status(status)
	if len(metadata) > 0 {
		e.Metadata = metadata
	}
	if e.Targets, err = store.DecodeTargets(targets); err != nil {
		return e, err
	}
	if e.Changes, err = store.DecodeChanges(changes); err != nil {
		return e, err
	}
	if e.Labels, err = store.DecodeLabels(labels); err != nil {
		return e, err
	}
	if e.TenantID, err = s.tenantID(ctx, tenantPK); err != nil {
		return e, err
	}
	return e, nil
}

var dialect = &sqlbuild.Dialect{
	Time:  func(t time.Time) any { return t.UnixMicro() },
	UUID:  func(u uuid.UUID) any { return u[:] },
	ILike: "LIKE", // SQLite's LIKE ignores ASCII case
	// Unary + makes a column unusable for an index lookup, and CROSS JOIN
	// keeps the written join order: together they pin the plan to the
	// index that yields the page's order.
	NoIndex:        func(col string) string { return "+" + col },
	ForceJoinOrder: "CROSS JOIN",
}

// Event implements store.Store.
func (s *Store) Event(ctx context.Context, tenants []uuid.UUID, ref store.EventRef) (event.Event, error) {
	pks, err := s.scopePKs(ctx, tenants)
	if err != nil || len(pks) == 0 {
		return event.Event{}, fmt.Errorf("event: %w", event.ErrNotFound)
	}
	b := sqlbuild.New(dialect).W(`SELECT `, eventColumns, ` FROM event_log e WHERE `)
	sqlbuild.In(b, "e.tenant_pk", pks)
	if ref.UUID != uuid.Nil {
		b.W(" AND e.uuid = ").Arg(ref.UUID[:])
	} else {
		b.W(" AND e.id = ").Arg(ref.ID)
	}
	b.W(" ORDER BY e.id LIMIT 1")
	e, err := s.scanEvent(ctx, s.reader.QueryRowContext(ctx, b.SQL(), b.Args()...))
	if err != nil {
		return e, fmt.Errorf("event: %w", err)
	}
	return e, nil
}

// scopePKs maps the tenants of a scope to pks, leaving out unknown ones.
func (s *Store) scopePKs(ctx context.Context, tenants []uuid.UUID) ([]int64, error) {
	m, err := s.tenantPKs(ctx, s.reader, tenants)
	if err != nil {
		return nil, err
	}
	pks := make([]int64, 0, len(m))
	for _, t := range tenants {
		if pk, ok := m[t]; ok {
			pks = append(pks, pk)
		}
	}
	return pks, nil
}

// Find implements store.Store.
func (s *Store) Find(ctx context.Context, q *store.Query) ([]event.Event, error) {
	pks, err := s.scopePKs(ctx, q.Tenants)
	if err != nil || len(pks) == 0 {
		return nil, err
	}
	tx, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	tail, err := s.tail(ctx, tx, pks)
	if err != nil {
		return nil, err
	}
	return store.MergeFind(ctx, q, store.TailFilter(q, tail, store.FoldASCII), func(ctx context.Context, q *store.Query) ([]event.Event, error) {
		b := sqlbuild.Find(dialect, eventColumns, pks, q)
		rows, err := tx.QueryContext(ctx, b.SQL(), b.Args()...)
		if err != nil {
			return nil, translate(err)
		}
		defer rows.Close()
		var out []event.Event
		for rows.Next() {
			e, err := s.scanEvent(ctx, rows)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, translate(rows.Err())
	})
}

// Count implements store.Store.
func (s *Store) Count(ctx context.Context, q *store.Query) (int64, error) {
	pks, err := s.scopePKs(ctx, q.Tenants)
	if err != nil || len(pks) == 0 {
		return 0, err
	}
	var n int64
	if q.Filter.IsZero() {
		// The unfiltered total comes from the log's counters.
		b := sqlbuild.New(dialect).W(`SELECT COALESCE(SUM(live), 0) FROM tenant_heads WHERE `)
		sqlbuild.In(b, "tenant_pk", pks)
		err := s.reader.QueryRowContext(ctx, b.SQL(), b.Args()...).Scan(&n)
		return n, translate(err)
	}
	tx, err := s.snapshot(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	tail, err := s.tail(ctx, tx, pks)
	if err != nil {
		return 0, err
	}
	b := sqlbuild.Count(dialect, pks, &q.Filter)
	if err := tx.QueryRowContext(ctx, b.SQL(), b.Args()...).Scan(&n); err != nil {
		return 0, translate(err)
	}
	all := store.Query{Filter: q.Filter}
	return n + int64(len(store.TailFilter(&all, tail, store.FoldASCII))), nil
}

// TargetTypes lists the distinct primary target types of the tenants'
// events, sorted.
func (s *Store) TargetTypes(ctx context.Context, tenants []uuid.UUID) ([]string, error) {
	pks, err := s.scopePKs(ctx, tenants)
	if err != nil || len(pks) == 0 {
		return nil, err
	}
	tx, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	tail, err := s.tail(ctx, tx, pks)
	if err != nil {
		return nil, err
	}
	b := sqlbuild.New(dialect).W(`SELECT DISTINCT type FROM tenant_target_types WHERE `)
	sqlbuild.In(b, "tenant_pk", pks)
	b.W(` ORDER BY 1`)
	rows, err := tx.QueryContext(ctx, b.SQL(), b.Args()...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, translate(err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	return store.TailTargetTypes(out, tail), nil
}
