-- +goose Up
-- The derived tables move to their own file beside the log (the index
-- file, auditkeep.db-index; indexfile.go): the indexer writes them on a
-- connection of its own, so a batch never holds the log's write lock that
-- acknowledgements wait for. They are rebuilt there from the log.
DROP TABLE events;
DROP TABLE event_targets;
DROP TABLE event_labels;
DROP TABLE tenant_target_types;
DROP TABLE index_marks;

-- +goose Down
CREATE TABLE index_marks (
    tenant_pk INTEGER PRIMARY KEY,
    next_seq  INTEGER NOT NULL
);
CREATE TABLE tenant_target_types (
    tenant_pk INTEGER NOT NULL,
    type      TEXT    NOT NULL,
    PRIMARY KEY (tenant_pk, type)
) WITHOUT ROWID;
CREATE TABLE event_labels (
    tenant_pk   INTEGER NOT NULL,
    key         TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    occurred_at INTEGER NOT NULL,
    event_id    INTEGER NOT NULL,
    PRIMARY KEY (tenant_pk, key, value, occurred_at, event_id)
) WITHOUT ROWID;
CREATE TABLE event_targets (
    tenant_pk   INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    target_id   TEXT    NOT NULL,
    occurred_at INTEGER NOT NULL,
    event_id    INTEGER NOT NULL,
    PRIMARY KEY (tenant_pk, type, target_id, occurred_at, event_id)
) WITHOUT ROWID;
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
