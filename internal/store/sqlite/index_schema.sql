-- The index file (indexfile.go): the derived tables, folded in from the
-- log by the indexer. Everything here is rebuildable; a change to this
-- schema bumps indexSchemaVersion, and a file of another version is
-- emptied and rebuilt.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- How far the indexer has folded each tenant's log: its events with
-- seq < next_seq are in every table below, the others in none.
CREATE TABLE index_marks (
    tenant_pk INTEGER PRIMARY KEY,
    next_seq  INTEGER NOT NULL
);

-- Only what filters, sorts and key queries read; pages take event columns
-- from the log. The sparse columns hold NULL for an empty value and their
-- indexes are partial, so an empty value takes no index entry.
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

-- Every target of an event, for "has target" filters, in time order.
CREATE TABLE event_targets (
    tenant_pk   INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    target_id   TEXT    NOT NULL,
    occurred_at INTEGER NOT NULL,
    event_id    INTEGER NOT NULL,
    PRIMARY KEY (tenant_pk, type, target_id, occurred_at, event_id)
) WITHOUT ROWID;

-- Every label of an event, for label filters, in time order.
CREATE TABLE event_labels (
    tenant_pk   INTEGER NOT NULL,
    key         TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    occurred_at INTEGER NOT NULL,
    event_id    INTEGER NOT NULL,
    PRIMARY KEY (tenant_pk, key, value, occurred_at, event_id)
) WITHOUT ROWID;

-- The distinct primary target types of each tenant.
CREATE TABLE tenant_target_types (
    tenant_pk INTEGER NOT NULL,
    type      TEXT    NOT NULL,
    PRIMARY KEY (tenant_pk, type)
) WITHOUT ROWID;
