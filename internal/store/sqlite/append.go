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

// Append implements store.Store.
func (s *Store) Append(ctx context.Context, reqs []store.AppendRequest) ([]store.AppendResult, error) {
	return store.AppendSplitting(reqs, func(g []store.AppendRequest) ([]store.AppendResult, error) {
		return s.appendGroup(ctx, g)
	})
}

func (s *Store) appendGroup(ctx context.Context, reqs []store.AppendRequest) ([]store.AppendResult, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, translate(err)
	}
	defer tx.Rollback()

	pks, err := s.tenantPKs(ctx, tx, store.GroupTenants(reqs))
	if err != nil {
		return nil, err
	}
	// A request naming an unknown tenant fails alone; the rest go on.
	out := make([]store.AppendResult, len(reqs))
	var live []store.AppendRequest
	var liveIdx []int
	for i, r := range reqs {
		if unknown := unknownTenant(r, pks); unknown != uuid.Nil {
			out[i].Err = fmt.Errorf("tenant %s: %w", unknown, event.ErrNotFound)
			continue
		}
		live = append(live, r)
		liveIdx = append(liveIdx, i)
	}

	existing, err := s.existingIdem(ctx, tx, pks, store.IdemKeys(live))
	if err != nil {
		return nil, err
	}
	heads := map[uuid.UUID]int64{}
	for _, t := range store.GroupTenants(live) {
		var next int64
		err := tx.QueryRowContext(ctx, `SELECT next_seq FROM tenant_heads WHERE tenant_pk = ?`, pks[t]).Scan(&next)
		if err != nil && err != sql.ErrNoRows {
			return nil, translate(err)
		}
		heads[t] = next
	}
	var nextID int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM event_log`).Scan(&nextID); err != nil {
		return nil, translate(err)
	}
	plan := store.PlanAppend(live, existing, heads, nextID, time.Now(), !s.opts.NoLedger)
	var pend *store.Pending
	if !s.opts.NoLedger {
		if pend, err = s.tails.Extend(plan, func(t uuid.UUID, size int64) (*ledger.Tail, error) {
			return ledger.LoadTail(size, tileSource(ctx, tx, pks[t]))
		}); err != nil {
			return nil, err
		}
	}
	if err := s.insert(ctx, tx, pks, plan); err != nil {
		return nil, err
	}
	if err := s.insertTiles(ctx, tx, pks, pend); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, translate(err)
	}
	s.tails.Commit(pend)
	s.afterCommit(ctx)
	for j, i := range liveIdx {
		out[i] = plan.Results[j]
	}
	return out, nil
}

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

func unknownTenant(r store.AppendRequest, pks map[uuid.UUID]int64) uuid.UUID {
	for i := range r.Events {
		if _, ok := pks[r.Events[i].TenantID]; !ok {
			return r.Events[i].TenantID
		}
	}
	return uuid.Nil
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

// insertLog and insertEvent write the same columns to the log and to the
// derived events table (index.go).
const insertLog = `INSERT INTO event_log (` + rowColumns + `) VALUES (` + rowParams + `)`

const insertEvent = `INSERT INTO events (` + rowColumns + `) VALUES (` + rowParams + `)`

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
