package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

var eventCopyColumns = []string{"id", "tenant_pk", "seq", "uuid", "recorded_at", "occurred_at", "idempotency_key",
	"category", "action", "action_type", "status", "level", "summary", "details",
	"actor_type", "actor_id", "actor_name", "actor_email", "target_type", "target_id", "targets",
	"subject_type", "subject_id", "external_ref", "context", "request_id", "session_id", "channel", "source",
	"changes", "reason", "labels", "metadata", "payload_digest", "leaf_hash"}

// insert writes a plan's new events to the log with COPY, the bulk path,
// with what cannot be derived from the log (sealed payloads, which erasure
// removes apart from the event); then, in one round trip, the tenants'
// heads: all an acknowledgement waits for. The query
// indexes follow behind (index.go).
func insert(ctx context.Context, tx pgx.Tx, pks map[uuid.UUID]int64, plan *store.Plan) error {
	evRows := make([][]any, len(plan.New))
	var payloads [][]any
	for i, e := range plan.New {
		pk := pks[e.TenantID]
		var leaf any
		if len(plan.Leaves) > 0 {
			leaf = plan.Leaves[i][:]
		}
		evRows[i] = copyRow(e, pk, e.ID, e.Seq, e.RecordedAt, leaf)
		if e.Payload != nil {
			payloads = append(payloads, []any{pk, e.ID, e.Subject.Type, e.Subject.ID, e.PayloadSalt, []byte(e.Payload)})
		}
	}
	for _, c := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"event_log", eventCopyColumns, evRows},
		{"event_payloads", []string{"tenant_pk", "event_id", "subject_type", "subject_id", "salt", "data"}, payloads},
	} {
		if len(c.rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			return fmt.Errorf("copy %s: %w", c.table, translate(err))
		}
	}

	var hpks, nexts, added []int64
	for t, next := range plan.Heads {
		if n := plan.Added[t]; n > 0 {
			hpks, nexts, added = append(hpks, pks[t]), append(nexts, next), append(added, n)
		}
	}
	b := &pgx.Batch{}
	b.Queue(`UPDATE tenant_heads h SET next_seq = v.next_seq, live = h.live + v.added
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v(tenant_pk, next_seq, added)
		WHERE h.tenant_pk = v.tenant_pk`, hpks, nexts, added)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("heads: %w", translate(err))
	}
	return nil
}

// copyRow is the eventCopyColumns row of e.
func copyRow(e *event.Event, pk, id, seq int64, recorded time.Time, leaf any) []any {
	pt := e.PrimaryTarget()
	return []any{id, pk, seq, e.UUID, recorded, e.OccurredAt, nullString(e.IdempotencyKey),
		e.Category, e.Action, string(e.ActionType), string(e.Status), e.Level, e.Summary, e.Details,
		e.Actor.Type, e.Actor.ID, e.Actor.Name, e.Actor.Email, pt.Type, pt.ID, nullBytes(store.EncodeTargets(e.Targets)),
		e.Subject.Type, e.Subject.ID, e.ExternalRef, e.Context, e.RequestID, e.SessionID, e.Channel, e.Source,
		nullBytes(store.EncodeChanges(e.Changes)), e.Reason, nullBytes(store.EncodeLabels(e.Labels)), nullBytes(e.Metadata),
		nullBytes(e.PayloadDigest), leaf}
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}
