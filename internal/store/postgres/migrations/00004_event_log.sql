-- +goose Up
-- The log (docs/query.md, "The log and the indexer"): the acknowledged
-- record, written by Append with only the index entries an append needs
-- (the key, seq, the uuid conflict and idempotency checks). events and its
-- side tables become derived data that the indexer folds in behind the
-- log, up to each tenant's index mark; pages read their rows from the log.
CREATE TABLE event_log (LIKE events INCLUDING DEFAULTS);
INSERT INTO event_log SELECT * FROM events;
ALTER TABLE event_log ADD PRIMARY KEY (tenant_pk, id);
CREATE UNIQUE INDEX event_log_tenant_seq ON event_log (tenant_pk, seq);
CREATE UNIQUE INDEX event_log_tenant_uuid ON event_log (tenant_pk, uuid);
CREATE UNIQUE INDEX event_log_tenant_idem ON event_log (tenant_pk, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- How far the indexer has folded each tenant's log: its events with
-- seq < next_seq are in every derived table, the others in none.
CREATE TABLE index_marks (
    tenant_pk bigint PRIMARY KEY,
    next_seq  bigint NOT NULL
);
INSERT INTO index_marks (tenant_pk, next_seq) SELECT tenant_pk, next_seq FROM tenant_heads;

-- The ledger guards move to the log. The derived tables are rebuildable
-- (auditkeep reindex clears them) and the ledger never reads them.
DROP TRIGGER events_append_only ON events;
DROP TRIGGER event_targets_append_only ON event_targets;
DROP TRIGGER event_labels_append_only ON event_labels;
DROP TRIGGER events_no_delete ON events;
DROP TRIGGER event_targets_no_delete ON event_targets;
DROP TRIGGER event_labels_no_delete ON event_labels;
DROP TRIGGER events_no_truncate ON events;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION auditkeep_forbid_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'event_log' AND current_setting('auditkeep.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% rows are deleted only by retention', TG_TABLE_NAME;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER event_log_append_only BEFORE UPDATE ON event_log
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_update();
CREATE TRIGGER event_log_no_delete BEFORE DELETE ON event_log
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_delete();
CREATE TRIGGER event_log_no_truncate BEFORE TRUNCATE ON event_log
    FOR EACH STATEMENT EXECUTE FUNCTION auditkeep_forbid_delete();

-- The derived events table needs no uniqueness of its own: its rows are
-- the log's. Its seq and idempotency indexes served the log's reads.
DROP INDEX events_tenant_seq;
DROP INDEX events_tenant_idem;

-- Ids come from a sequence, which never waits, instead of a counter row
-- every append locked: appends lock only their tenants' heads, so two
-- tenants' groups commit in parallel. Ids stay increasing within a tenant
-- (drawn under its head lock), not across tenants in commit order.
CREATE SEQUENCE event_ids;
SELECT setval('event_ids', (SELECT next_id FROM store_head), false);
DROP TABLE store_head;

GRANT USAGE ON SEQUENCE event_ids TO auditkeep_writer;
GRANT SELECT, INSERT ON event_log, index_marks TO auditkeep_writer;
GRANT UPDATE ON index_marks TO auditkeep_writer;
GRANT DELETE ON events, event_targets, event_labels, tenant_target_types, index_marks TO auditkeep_writer;
REVOKE UPDATE, DELETE, TRUNCATE ON event_log FROM auditkeep_writer;

-- +goose Down
CREATE TABLE store_head (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    next_id bigint  NOT NULL
);
INSERT INTO store_head (one, next_id) VALUES (true, nextval('event_ids'));
GRANT UPDATE ON store_head TO auditkeep_writer;
DROP SEQUENCE event_ids;
REVOKE ALL ON event_log, index_marks FROM auditkeep_writer;
REVOKE DELETE ON events, event_targets, event_labels, tenant_target_types FROM auditkeep_writer;
CREATE UNIQUE INDEX events_tenant_idem ON events (tenant_pk, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX events_tenant_seq ON events (tenant_pk, seq);
DROP TRIGGER event_log_no_truncate ON event_log;
DROP TRIGGER event_log_no_delete ON event_log;
DROP TRIGGER event_log_append_only ON event_log;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION auditkeep_forbid_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME IN ('events', 'event_targets', 'event_labels')
       AND current_setting('auditkeep.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% rows are deleted only by retention', TG_TABLE_NAME;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION auditkeep_forbid_delete();
CREATE TRIGGER event_labels_no_delete BEFORE DELETE ON event_labels
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_delete();
CREATE TRIGGER event_targets_no_delete BEFORE DELETE ON event_targets
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_delete();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_delete();
CREATE TRIGGER event_labels_append_only BEFORE UPDATE ON event_labels
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_update();
CREATE TRIGGER event_targets_append_only BEFORE UPDATE ON event_targets
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_update();
CREATE TRIGGER events_append_only BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_update();
DROP TABLE index_marks;
DROP TABLE event_log;
