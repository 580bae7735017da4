-- +goose Up
-- The derived events table (docs/query.md §0, §2) keeps only what filters,
-- sorts and key queries read: pages take event columns from the log. The
-- sparse columns hold NULL for an empty value and their indexes are
-- partial, so an empty value takes no index entry. The table is derived:
-- it is rebuilt, and the indexer folds the whole log into it again.
DROP TABLE events;
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    tenant_pk    INTEGER NOT NULL,
    uuid         BLOB    NOT NULL,
    occurred_at  INTEGER NOT NULL,
    category     TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    action_type  TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    level        INTEGER NOT NULL,
    actor_type   TEXT    NOT NULL,
    actor_id     TEXT,
    actor_email  TEXT    NOT NULL,
    target_type  TEXT    NOT NULL,
    target_id    TEXT,
    subject_type TEXT    NOT NULL,
    subject_id   TEXT,
    external_ref TEXT,
    context      TEXT    NOT NULL,
    request_id   TEXT,
    session_id   TEXT,
    channel      TEXT    NOT NULL,
    source       TEXT    NOT NULL
);
CREATE UNIQUE INDEX events_tenant_uuid ON events (tenant_pk, uuid);
CREATE INDEX events_tenant_time ON events (tenant_pk, occurred_at, id);
CREATE INDEX events_tenant_action ON events (tenant_pk, action, occurred_at, id);
CREATE INDEX events_tenant_external_ref ON events (tenant_pk, external_ref, occurred_at, id) WHERE external_ref IS NOT NULL;
CREATE INDEX events_tenant_actor_id ON events (tenant_pk, actor_id, occurred_at, id) WHERE actor_id IS NOT NULL;
CREATE INDEX events_tenant_subject_id ON events (tenant_pk, subject_id, occurred_at, id) WHERE subject_id IS NOT NULL;
CREATE INDEX events_tenant_request_id ON events (tenant_pk, request_id, occurred_at, id) WHERE request_id IS NOT NULL;
CREATE INDEX events_tenant_session_id ON events (tenant_pk, session_id, occurred_at, id) WHERE session_id IS NOT NULL;
CREATE INDEX events_tenant_target_id ON events (tenant_pk, target_id, occurred_at, id) WHERE target_id IS NOT NULL;
CREATE INDEX events_tenant_by_actor_type ON events (tenant_pk, actor_type);
CREATE INDEX events_tenant_by_target_type ON events (tenant_pk, target_type);
CREATE INDEX events_tenant_by_action_type ON events (tenant_pk, action_type);
DELETE FROM event_targets;
DELETE FROM event_labels;
DELETE FROM tenant_target_types;
DELETE FROM index_marks;

-- +goose Down
DROP TABLE events;
CREATE TABLE events AS SELECT * FROM event_log WHERE 0;
CREATE UNIQUE INDEX events_tenant_uuid ON events (tenant_pk, uuid);
CREATE INDEX events_tenant_time ON events (tenant_pk, occurred_at, id);
CREATE INDEX events_tenant_action ON events (tenant_pk, action, occurred_at, id);
CREATE INDEX events_tenant_external_ref ON events (tenant_pk, external_ref, occurred_at, id);
CREATE INDEX events_tenant_actor_id ON events (tenant_pk, actor_id, occurred_at, id);
CREATE INDEX events_tenant_subject_id ON events (tenant_pk, subject_id, occurred_at, id);
CREATE INDEX events_tenant_request_id ON events (tenant_pk, request_id, occurred_at, id);
CREATE INDEX events_tenant_session_id ON events (tenant_pk, session_id, occurred_at, id);
CREATE INDEX events_tenant_target_id ON events (tenant_pk, target_id, occurred_at, id);
CREATE INDEX events_tenant_by_actor_type ON events (tenant_pk, actor_type);
CREATE INDEX events_tenant_by_target_type ON events (tenant_pk, target_type);
CREATE INDEX events_tenant_by_action_type ON events (tenant_pk, action_type);
DELETE FROM index_marks;
