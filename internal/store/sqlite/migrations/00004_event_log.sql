-- +goose Up
-- The log (docs/query.md, "The log and the indexer"): the acknowledged
-- record, written by Append with as few index entries as an append needs
-- (the primary key, seq, the uuid conflict and idempotency checks). The
-- events table and its side tables become derived data that the indexer
-- folds in behind the log, up to each tenant's index mark.
CREATE TABLE event_log (
    id              INTEGER PRIMARY KEY,
    tenant_pk       INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    uuid            BLOB    NOT NULL,
    recorded_at     INTEGER NOT NULL,
    occurred_at     INTEGER NOT NULL,
    idempotency_key TEXT,
    category        TEXT    NOT NULL DEFAULT '',
    action          TEXT    NOT NULL,
    action_type     TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    level           INTEGER NOT NULL,
    summary         TEXT    NOT NULL DEFAULT '',
    details         TEXT    NOT NULL DEFAULT '',
    actor_type      TEXT    NOT NULL DEFAULT '',
    actor_id        TEXT    NOT NULL DEFAULT '',
    actor_name      TEXT    NOT NULL DEFAULT '',
    actor_email     TEXT    NOT NULL DEFAULT '',
    target_type     TEXT    NOT NULL DEFAULT '',
    target_id       TEXT    NOT NULL DEFAULT '',
    targets         TEXT,
    subject_type    TEXT    NOT NULL DEFAULT '',
    subject_id      TEXT    NOT NULL DEFAULT '',
    external_ref    TEXT    NOT NULL DEFAULT '',
    context         TEXT    NOT NULL DEFAULT '',
    request_id      TEXT    NOT NULL DEFAULT '',
    session_id      TEXT    NOT NULL DEFAULT '',
    channel         TEXT    NOT NULL DEFAULT '',
    source          TEXT    NOT NULL DEFAULT '',
    changes         TEXT,
    reason          TEXT    NOT NULL DEFAULT '',
    labels          TEXT,
    metadata        TEXT,
    payload_digest  BLOB,
    leaf_hash       BLOB
);
INSERT INTO event_log SELECT id, tenant_pk, seq, uuid, recorded_at, occurred_at, idempotency_key,
    category, action, action_type, status, level, summary, details,
    actor_type, actor_id, actor_name, actor_email, target_type, target_id, targets,
    subject_type, subject_id, external_ref, context, request_id, session_id, channel, source,
    changes, reason, labels, metadata, payload_digest, leaf_hash FROM events;
CREATE UNIQUE INDEX event_log_tenant_seq ON event_log (tenant_pk, seq);
CREATE UNIQUE INDEX event_log_tenant_uuid ON event_log (tenant_pk, uuid);
CREATE UNIQUE INDEX event_log_tenant_idem ON event_log (tenant_pk, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- How far the indexer has folded each tenant's log: its events with
-- seq < next_seq are in every derived table, the others in none.
CREATE TABLE index_marks (
    tenant_pk INTEGER PRIMARY KEY,
    next_seq  INTEGER NOT NULL
);
INSERT INTO index_marks (tenant_pk, next_seq) SELECT tenant_pk, next_seq FROM tenant_heads;

-- The ledger guards move to the log. The derived tables are rebuildable
-- (auditkeep reindex clears them), and the ledger never reads them.
DROP TRIGGER events_no_update;
DROP TRIGGER events_no_delete;
DROP TRIGGER event_targets_no_update;
DROP TRIGGER event_targets_no_delete;
DROP TRIGGER event_labels_no_update;
DROP TRIGGER event_labels_no_delete;
CREATE TRIGGER event_log_no_update BEFORE UPDATE ON event_log
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER event_log_no_delete BEFORE DELETE ON event_log
WHEN (SELECT allow_delete FROM ledger_guard) = 0
BEGIN SELECT RAISE(ABORT, 'the event log is deleted only by retention'); END;

-- The derived events table needs no uniqueness of its own: its rows are
-- the log's. Its seq and idempotency indexes served the log's reads.
DROP INDEX events_tenant_seq;
DROP INDEX events_tenant_idem;

-- +goose Down
CREATE UNIQUE INDEX events_tenant_idem ON events (tenant_pk, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX events_tenant_seq ON events (tenant_pk, seq);
DROP TRIGGER event_log_no_delete;
DROP TRIGGER event_log_no_update;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
WHEN (SELECT allow_delete FROM ledger_guard) = 0
BEGIN SELECT RAISE(ABORT, 'events are deleted only by retention'); END;
CREATE TRIGGER event_targets_no_update BEFORE UPDATE ON event_targets
BEGIN SELECT RAISE(ABORT, 'event targets are append-only'); END;
CREATE TRIGGER event_targets_no_delete BEFORE DELETE ON event_targets
WHEN (SELECT allow_delete FROM ledger_guard) = 0
BEGIN SELECT RAISE(ABORT, 'event targets are deleted only by retention'); END;
CREATE TRIGGER event_labels_no_update BEFORE UPDATE ON event_labels
BEGIN SELECT RAISE(ABORT, 'event labels are append-only'); END;
CREATE TRIGGER event_labels_no_delete BEFORE DELETE ON event_labels
WHEN (SELECT allow_delete FROM ledger_guard) = 0
BEGIN SELECT RAISE(ABORT, 'event labels are deleted only by retention'); END;
DROP TABLE index_marks;
DROP TABLE event_log;
