-- +goose Up
-- The query engine's indexes (docs/query.md). Each leads with the tenant so
-- a tenant's rows are one range. A (tenant, column, occurred_at) index
-- serves a one-value filter on that column in the default newest-first
-- order; a (tenant, column) index (the rowid, i.e. id, is implicit) serves
-- sorting by that column with id breaking ties. Other filters are checked
-- on the rows the time index yields.
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

-- The distinct primary target types of each tenant, kept at ingest, so the
-- list of subjects a key may filter on is a lookup, not a scan.
CREATE TABLE tenant_target_types (
    tenant_pk INTEGER NOT NULL,
    type      TEXT    NOT NULL,
    PRIMARY KEY (tenant_pk, type)
) WITHOUT ROWID;
INSERT OR IGNORE INTO tenant_target_types (tenant_pk, type)
    SELECT DISTINCT tenant_pk, target_type FROM events WHERE target_type <> '';

-- +goose Down
DROP TABLE tenant_target_types;
DROP INDEX events_tenant_by_action_type;
DROP INDEX events_tenant_by_target_type;
DROP INDEX events_tenant_by_actor_type;
DROP INDEX events_tenant_target_id;
DROP INDEX events_tenant_session_id;
DROP INDEX events_tenant_request_id;
DROP INDEX events_tenant_subject_id;
DROP INDEX events_tenant_actor_id;
DROP INDEX events_tenant_external_ref;
DROP INDEX events_tenant_action;
