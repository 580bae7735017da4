package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/sqlbuild"
)

const eventColumns = `e.id, e.tenant_pk, e.seq, e.uuid, e.recorded_at, e.occurred_at, COALESCE(e.idempotency_key, ''),
	e.category, e.action, e.action_type, e.status, e.level, e.summary, e.details,
	e.actor_type, e.actor_id, e.actor_name, e.actor_email, e.targets,
	e.subject_type, e.subject_id, e.external_ref, e.context, e.request_id, e.session_id, e.channel, e.source,
	e.changes, e.reason, e.labels, e.metadata, e.payload_digest`

// eventRow is an events row as scanned, before it becomes an event.Event.
type eventRow struct {
	e                                  event.Event
	tenantPK                           int64
	actionType, status                 string
	targets, changes, labels, metadata []byte
}

func (r *eventRow) dest() []any {
	e := &r.e
	return []any{&e.ID, &r.tenantPK, &e.Seq, &e.UUID, &e.RecordedAt, &e.OccurredAt, &e.IdempotencyKey,
		&e.Category, &e.Action, &r.actionType, &r.status, &e.Level, &e.Summary, &e.Details,
		&e.Actor.Type, &e.Actor.ID, &e.Actor.Name, &e.Actor.Email, &r.targets,
		&e.Subject.Type, &e.Subject.ID, &e.ExternalRef, &e.Context, &e.RequestID, &e.SessionID, &e.Channel, &e.Source,
		&r.changes, &e.Reason, &r.labels, &r.metadata, &e.PayloadDigest}
}

func scanRow(row pgx.Row) (eventRow, error) {
	var r eventRow
	err := row.Scan(r.dest()...)
	return r, translate(err)
}

func (s *Store) scanEvent(ctx context.Context, row pgx.Row) (event.Event, error) {
	r, err := scanRow(row)
	if err != nil {
		return event.Event{}, err
	}
	return s.toEvent(ctx, &r, uuid.Nil)
}

// toEvent maps a row to its event. tenant is the row's tenant id when the
// caller knows it, else uuid.Nil and it is looked up.
func (s *Store) toEvent(ctx context.Context, r *eventRow, tenant uuid.UUID) (event.Event, error) {
	e := r.e
	e.RecordedAt, e.OccurredAt = e.RecordedAt.UTC(), e.OccurredAt.UTC()
	e.ActionType, e.Status = event.ActionType(r.actionType), event.Status(r.status)
	if len(r.metadata) > 0 {
		e.Metadata = r.metadata
	}
	var err error
	if e.Targets, err = store.DecodeTargets(r.targets); err != nil {
		return e, err
	}
	if e.Changes, err = store.DecodeChanges(r.changes); err != nil {
		return e, err
	}
	if e.Labels, err = store.DecodeLabels(r.labels); err != nil {
		return e, err
	}
	e.TenantID = tenant
	if tenant == uuid.Nil {
		if e.TenantID, err = s.tenantID(ctx, r.tenantPK); err != nil {
			return e, err
		}
	}
	return e, nil
}

// dialect binds lists as one array parameter, so a query's text does not
// depend on how many values a filter holds and pgx's statement cache keeps
// serving it. pgx encodes time.Time and uuid.UUID as they are. It has no
// NoIndex or ForceJoinOrder: PostgreSQL's planner weighs the indexes from
// statistics, where SQLite's needs steering.
var dialect = &sqlbuild.Dialect{
	Dollar: true,
	Time:   func(t time.Time) any { return dbTime(t) },
	UUID:   func(u uuid.UUID) any { return u },
	ILike:  "ILIKE",
	Array:  func(v any) any { return v },
}

// Event implements store.Store.
func (s *Store) Event(ctx context.Context, tenants []uuid.UUID, ref store.EventRef) (event.Event, error) {
	pks, err := s.scopePKs(ctx, tenants)
	if err != nil {
		return event.Event{}, fmt.Errorf("event: %w", err)
	}
	if len(pks) == 0 {
		return event.Event{}, fmt.Errorf("event: %w", event.ErrNotFound)
	}
	b := eventQuery(pks, ref)
	e, err := s.scanEvent(ctx, s.pool.QueryRow(ctx, b.SQL(), b.Args()...))
	if err != nil {
		return e, fmt.Errorf("event: %w", err)
	}
	return e, nil
}

// eventQuery is the SELECT of Event over the tenants pks.
func eventQuery(pks []int64, ref store.EventRef) *sqlbuild.Builder {
	b := sqlbuild.New(dialect).W(`SELECT `, eventColumns, ` FROM event_log e WHERE `)
	sqlbuild.In(b, "e.tenant_pk", pks)
	if ref.UUID != uuid.Nil {
		b.W(" AND e.uuid = ").Arg(ref.UUID)
	} else {
		b.W(" AND e.id = ").Arg(ref.ID)
	}
	return b.W(" ORDER BY e.id LIMIT 1")
}

// Find implements store.Store.
func (s *Store) Find(ctx context.Context, q *store.Query) ([]event.Event, error) {
	pks, err := s.scopePKs(ctx, q.Tenants)
	if err != nil || len(pks) == 0 {
		return nil, err
	}
	tx, tail, done, err := s.view(ctx, pks)
	if err != nil {
		return nil, err
	}
	defer done()
	return store.MergeFind(ctx, q, store.TailFilter(q, tail, strings.ToLower), func(ctx context.Context, q *store.Query) ([]event.Event, error) {
		b := findQuery(pks, q)
		rows, err := tx.Query(ctx, b.SQL(), b.Args()...)
		if err != nil {
			return nil, translate(err)
		}
		defer rows.Close()
		return s.scanEvents(ctx, rows)
	})
}

// findQuery is the SELECT of Find over the tenants pks: the shared
// deferred-join page query, so both engines pick rows the same way.
func findQuery(pks []int64, q *store.Query) *sqlbuild.Builder {
	return sqlbuild.Find(dialect, eventColumns, pks, q)
}

// scanEvents reads all rows first and maps tenant pks afterwards: looking
// up an uncached tenant needs a connection of its own, and rows hold one
// until they are closed.
func (s *Store) scanEvents(ctx context.Context, rows pgx.Rows) ([]event.Event, error) {
	var raw []eventRow
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		raw = append(raw, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	out := make([]event.Event, len(raw))
	for i := range raw {
		e, err := s.toEvent(ctx, &raw[i], uuid.Nil)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
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
		b := sqlbuild.New(dialect).W(`SELECT COALESCE(SUM(live), 0)::bigint FROM tenant_heads WHERE `)
		sqlbuild.In(b, "tenant_pk", pks)
		err := s.pool.QueryRow(ctx, b.SQL(), b.Args()...).Scan(&n)
		return n, translate(err)
	}
	tx, tail, done, err := s.view(ctx, pks)
	if err != nil {
		return 0, err
	}
	defer done()
	b := sqlbuild.Count(dialect, pks, &q.Filter)
	if err := tx.QueryRow(ctx, b.SQL(), b.Args()...).Scan(&n); err != nil {
		return 0, translate(err)
	}
	all := store.Query{Filter: q.Filter}
	return n + int64(len(store.TailFilter(&all, tail, strings.ToLower))), nil
}

// TargetTypes lists the distinct primary target types of the tenants'
// events, sorted, from the set that Append maintains.
func (s *Store) TargetTypes(ctx context.Context, tenants []uuid.UUID) ([]string, error) {
	pks, err := s.scopePKs(ctx, tenants)
	if err != nil || len(pks) == 0 {
		return nil, err
	}
	tx, tail, done, err := s.view(ctx, pks)
	if err != nil {
		return nil, err
	}
	defer done()
	b := sqlbuild.New(dialect).W(`SELECT DISTINCT type FROM tenant_target_types WHERE `)
	sqlbuild.In(b, "tenant_pk", pks)
	b.W(` ORDER BY 1`)
	rows, err := tx.Query(ctx, b.SQL(), b.Args()...)
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate(err)
	}
	return store.TailTargetTypes(append([]string{}, out...), tail), nil
}
