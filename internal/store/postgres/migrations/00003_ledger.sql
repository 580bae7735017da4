-- +goose Up
-- Signed checkpoints of each tenant's ledger (docs/ledger.md).
CREATE TABLE ledger_checkpoints (
    tenant_pk bigint      NOT NULL,
    size      bigint      NOT NULL,
    root      bytea       NOT NULL,
    signed_at timestamptz NOT NULL,
    note      bytea       NOT NULL,
    PRIMARY KEY (tenant_pk, size)
);

-- Checkpoint signing keys: the public key, and the private key sealed with
-- the master key (NULL when the key lives in a file given by config).
CREATE TABLE ledger_keys (
    id         text        PRIMARY KEY,
    vkey       text        NOT NULL,
    sealed     bytea,
    created_at timestamptz NOT NULL,
    retired_at timestamptz
);

-- The guards: what the ledger hashed must stay what is stored. Updates of
-- events, targets and labels were refused since the first migration; now
-- tiles and checkpoints are never updated or deleted either, and events,
-- targets and labels are deleted only by the retention path, which sets
-- auditkeep.retention = 'on' for its own transaction (SET LOCAL). Sealed
-- payloads are not guarded: erasure destroys them; the ledger holds only
-- their digest.
-- +goose StatementBegin
CREATE FUNCTION auditkeep_forbid_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME IN ('events', 'event_targets', 'event_labels')
       AND current_setting('auditkeep.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% rows are deleted only by retention', TG_TABLE_NAME;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_delete();
CREATE TRIGGER event_targets_no_delete BEFORE DELETE ON event_targets
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_delete();
CREATE TRIGGER event_labels_no_delete BEFORE DELETE ON event_labels
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_delete();
CREATE TRIGGER ledger_tiles_append_only BEFORE UPDATE ON ledger_tiles
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_update();
CREATE TRIGGER ledger_tiles_no_delete BEFORE DELETE ON ledger_tiles
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_delete();
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_update();
CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION auditkeep_forbid_delete();
-- TRUNCATE bypasses row triggers; refuse it on the guarded tables.
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION auditkeep_forbid_delete();
CREATE TRIGGER ledger_tiles_no_truncate BEFORE TRUNCATE ON ledger_tiles
    FOR EACH STATEMENT EXECUTE FUNCTION auditkeep_forbid_delete();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION auditkeep_forbid_delete();

-- The role to run the service as (docs/operations.md): a login role that is
-- a member of auditkeep_writer can append and read but has no UPDATE or
-- DELETE on the guarded tables, so even a bypassed trigger would not help
-- it. Roles are per cluster, so it is made only when missing.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'auditkeep_writer') THEN
        CREATE ROLE auditkeep_writer NOLOGIN;
    END IF;
END
$$;
-- +goose StatementEnd
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO auditkeep_writer;
GRANT UPDATE ON tenants, api_keys, tenant_heads, store_head, secrets, ledger_keys TO auditkeep_writer;
GRANT DELETE ON event_payloads TO auditkeep_writer;
REVOKE UPDATE, DELETE, TRUNCATE ON events, event_targets, event_labels, ledger_tiles, ledger_checkpoints FROM auditkeep_writer;

-- +goose Down
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM auditkeep_writer;
DROP TRIGGER ledger_checkpoints_no_truncate ON ledger_checkpoints;
DROP TRIGGER ledger_tiles_no_truncate ON ledger_tiles;
DROP TRIGGER events_no_truncate ON events;
DROP TRIGGER ledger_checkpoints_no_delete ON ledger_checkpoints;
DROP TRIGGER ledger_checkpoints_append_only ON ledger_checkpoints;
DROP TRIGGER ledger_tiles_no_delete ON ledger_tiles;
DROP TRIGGER ledger_tiles_append_only ON ledger_tiles;
DROP TRIGGER event_labels_no_delete ON event_labels;
DROP TRIGGER event_targets_no_delete ON event_targets;
DROP TRIGGER events_no_delete ON events;
DROP FUNCTION auditkeep_forbid_delete();
DROP TABLE ledger_keys;
DROP TABLE ledger_checkpoints;
