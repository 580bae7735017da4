package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Append implements store.Store: the shared sequence (store.AppendGroup)
// over appendTx.
func (s *Store) Append(ctx context.Context, reqs []store.AppendRequest) ([]store.AppendResult, error) {
	var tails *store.Tails
	if !s.opts.NoLedger {
		tails = s.tails
	}
	return store.AppendSplitting(reqs, func(g []store.AppendRequest) ([]store.AppendResult, error) {
		tx, err := s.begin(ctx)
		if err != nil {
			return nil, translate(err)
		}
		return store.AppendGroup(ctx, &appendTx{s: s, tx: tx}, tails, g)
	})
}

// appendTx is SQLite's part of an append. The transaction is the single
// writer's (BEGIN IMMEDIATE), so it holds every tenant's head at once:
// SQLite has one writer anyway.
type appendTx struct {
	s  *Store
	tx cachedTx
}

func (a *appendTx) TenantPKs(ctx context.Context, tenants []uuid.UUID) (map[uuid.UUID]int64, error) {
	return a.s.tenantPKs(ctx, a.tx, tenants)
}

func (a *appendTx) LockHeads(ctx context.Context, pks map[uuid.UUID]int64) (map[uuid.UUID]int64, error) {
	heads := make(map[uuid.UUID]int64, len(pks))
	for t, pk := range pks {
		var next int64
		err := a.tx.QueryRowContext(ctx, `SELECT next_seq FROM tenant_heads WHERE tenant_pk = ?`, pk).Scan(&next)
		if err != nil && err != sql.ErrNoRows {
			return nil, translate(err)
		}
		heads[t] = next
	}
	return heads, nil
}

func (a *appendTx) Idempotent(ctx context.Context, pks map[uuid.UUID]int64, keys []store.IdemKey) (map[store.IdemKey]event.Event, error) {
	return a.s.existingIdem(ctx, a.tx, pks, keys)
}

func (a *appendTx) IDs(ctx context.Context, n int) ([]int64, error) {
	var next int64
	if err := a.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM event_log`).Scan(&next); err != nil {
		return nil, translate(err)
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = next + int64(i)
	}
	return ids, nil
}

func (a *appendTx) Tiles(ctx context.Context, pk int64) ledger.TileSource {
	return tileSource(ctx, a.tx, pk)
}

func (a *appendTx) Insert(ctx context.Context, pks map[uuid.UUID]int64, plan *store.Plan, pend *store.Pending) error {
	if err := a.s.insert(ctx, a.tx, pks, plan); err != nil {
		return err
	}
	return a.s.insertTiles(ctx, a.tx, pks, pend)
}

func (a *appendTx) Commit(ctx context.Context) error {
	if err := a.tx.Commit(); err != nil {
		return translate(err)
	}
	a.s.afterCommit(ctx)
	return nil
}

func (a *appendTx) Rollback(context.Context) { a.tx.Rollback() }

func (s *Store) insertTiles(ctx context.Context, tx cachedTx, pks map[uuid.UUID]int64, pend *store.Pending) error {
	if pend == nil {
		return nil
	}
	for t, tiles := range pend.Tiles {
		for _, tile := range tiles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_tiles (tenant_pk, level, idx, data) VALUES (?, ?, ?, ?)`, pks[t], tile.Level, tile.Index, tile.Data); err != nil {
				return fmt.Errorf("insert ledger tile: %w", translate(err))
			}
		}
	}
	return nil
}

func (s *Store) existingIdem(ctx context.Context, tx cachedTx, pks map[uuid.UUID]int64, keys []store.IdemKey) (map[store.IdemKey]event.Event, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	stmt, err := tx.PrepareContext(ctx, `SELECT `+eventColumns+` FROM event_log e WHERE e.tenant_pk = ? AND e.idempotency_key = ?`)
	if err != nil {
		return nil, translate(err)
	}
	defer stmt.Close()
	out := map[store.IdemKey]event.Event{}
	for _, k := range keys {
		e, err := s.scanEvent(ctx, stmt.QueryRowContext(ctx, pks[k.Tenant], k.Key))
		if errors.Is(err, event.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[k] = e
	}
	return out, nil
}

// insertLog writes one event to the log.
const insertLog = `INSERT INTO event_log (` + rowColumns + `) VALUES (` + rowParams + `)`

const rowColumns = `id, tenant_pk, seq, uuid, recorded_at, occurred_at, idempotency_key,
	category, action, action_type, status, level, summary, details,
	actor_type, actor_id, actor_name, actor_email, target_type, target_id, targets,
	subject_type, subject_id, external_ref, context, request_id, session_id, channel, source,
	changes, reason, labels, metadata, payload_digest, leaf_hash`

const rowParams = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`

// insert writes a plan's events to the log, with what cannot be derived
// from it (sealed payloads, which erasure removes apart from the event)
// and the tenants' heads: all an acknowledgement waits for. The query
// indexes follow behind (index.go).
func (s *Store) insert(ctx context.Context, tx cachedTx, pks map[uuid.UUID]int64, plan *store.Plan) error {
	if len(plan.New) == 0 {
		return nil
	}
	ins, err := tx.PrepareContext(ctx, insertLog)
	if err != nil {
		return translate(err)
	}
	defer ins.Close()
	var insPayload *sql.Stmt
	defer func() {
		if insPayload != nil {
			insPayload.Close()
		}
	}()
	for i, e := range plan.New {
		pk := pks[e.TenantID]
		var leaf []byte
		if len(plan.Leaves) > 0 {
			leaf = plan.Leaves[i][:]
		}
		if _, err := ins.ExecContext(ctx, eventArgs(e, pk, e.ID, e.Seq, e.RecordedAt, leaf)...); err != nil {
			return fmt.Errorf("insert event: %w", translate(err))
		}
		if e.Payload != nil {
			if insPayload == nil {
				if insPayload, err = tx.PrepareContext(ctx, `INSERT INTO event_payloads (event_id, tenant_pk, subject_type, subject_id, salt, data) VALUES (?, ?, ?, ?, ?, ?)`); err != nil {
					return translate(err)
				}
			}
			if _, err := insPayload.ExecContext(ctx, e.ID, pk, e.Subject.Type, e.Subject.ID, e.PayloadSalt, []byte(e.Payload)); err != nil {
				return fmt.Errorf("insert payload: %w", translate(err))
			}
		}
	}
	for t, next := range plan.Heads {
		added := plan.Added[t]
		if added == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_heads (tenant_pk, next_seq, live) VALUES (?, ?, ?)
			ON CONFLICT (tenant_pk) DO UPDATE SET next_seq = excluded.next_seq, live = live + ?`, pks[t], next, added, added); err != nil {
			return translate(err)
		}
	}
	return nil
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// eventArgs are the values of insertEvent for e.
func eventArgs(e *event.Event, pk, id, seq int64, recorded time.Time, leaf []byte) []any {
	pt := e.PrimaryTarget()
	return []any{id, pk, seq, e.UUID[:], micros(recorded), micros(e.OccurredAt), nullString(e.IdempotencyKey),
		e.Category, e.Action, string(e.ActionType), string(e.Status), e.Level, e.Summary, e.Details,
		e.Actor.Type, e.Actor.ID, e.Actor.Name, e.Actor.Email, pt.Type, pt.ID, nullBytes(store.EncodeTargets(e.Targets)),
		e.Subject.Type, e.Subject.ID, e.ExternalRef, e.Context, e.RequestID, e.SessionID, e.Channel, e.Source,
		nullBytes(store.EncodeChanges(e.Changes)), e.Reason, nullBytes(store.EncodeLabels(e.Labels)), nullBytes(e.Metadata),
		nullBytes(e.PayloadDigest), nullBytes(leaf)}
}
