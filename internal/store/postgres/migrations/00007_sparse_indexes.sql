-- +goose Up
-- The derived events table (docs/query.md §0, §2) keeps only what filters,
-- sorts and key queries read: pages take event columns from the log. The
-- sparse columns hold NULL for an empty value and their indexes are
-- partial, so an empty value takes no index entry. The table is derived:
-- it is rebuilt, and the indexer folds the whole log into it again.
DROP TABLE events;
CREATE TABLE events (
    id           bigint      NOT NULL,
    tenant_pk    bigint      NOT NULL,
    uuid         uuid        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    category     text        NOT NULL,
    action       text        COLLATE "C" NOT NULL,
    action_type  text        COLLATE "C" NOT NULL,
    status       text        NOT NULL,
    level        integer     NOT NULL,
    actor_type   text        COLLATE "C" NOT NULL,
    actor_id     text,
    actor_email  text        NOT NULL,
    target_type  text        COLLATE "C" NOT NULL,
    target_id    text,
    subject_type text        NOT NULL,
    subject_id   text,
    external_ref text,
    context      text        NOT NULL,
    request_id   text,
    session_id   text,
    channel      text        NOT NULL,
    source       text        NOT NULL,
    PRIMARY KEY (tenant_pk, id)
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
CREATE INDEX events_tenant_by_actor_type ON events (tenant_pk, actor_type, id);
CREATE INDEX events_tenant_by_target_type ON events (tenant_pk, target_type, id);
CREATE INDEX events_tenant_by_action_type ON events (tenant_pk, action_type, id);
GRANT SELECT, INSERT, DELETE ON events TO auditkeep_writer;
TRUNCATE event_targets, event_labels, tenant_target_types, index_marks;

-- +goose Down
DROP TABLE events;
CREATE TABLE events (LIKE event_log INCLUDING DEFAULTS);
ALTER TABLE events ADD PRIMARY KEY (tenant_pk, id);
CREATE UNIQUE INDEX events_tenant_uuid ON events (tenant_pk, uuid);
CREATE INDEX events_tenant_time ON events (tenant_pk, occurred_at, id);
CREATE INDEX events_tenant_action ON events (tenant_pk, action, occurred_at, id);
CREATE INDEX events_tenant_external_ref ON events (tenant_pk, external_ref, occurred_at, id);
CREATE INDEX events_tenant_actor_id ON events (tenant_pk, actor_id, occurred_at, id);
CREATE INDEX events_tenant_subject_id ON events (tenant_pk, subject_id, occurred_at, id);
CREATE INDEX events_tenant_request_id ON events (tenant_pk, request_id, occurred_at, id);
CREATE INDEX events_tenant_session_id ON events (tenant_pk, session_id, occurred_at, id);
CREATE INDEX events_tenant_target_id ON events (tenant_pk, target_id, occurred_at, id);
CREATE INDEX events_tenant_by_actor_type ON events (tenant_pk, actor_type, id);
CREATE INDEX events_tenant_by_target_type ON events (tenant_pk, target_type, id);
CREATE INDEX events_tenant_by_action_type ON events (tenant_pk, action_type, id);
GRANT SELECT, INSERT, DELETE ON events TO auditkeep_writer;
DELETE FROM index_marks;
