-- +goose Up
-- Signed checkpoints of each tenant's ledger (docs/ledger.md).
CREATE TABLE ledger_checkpoints (
    tenant_pk INTEGER NOT NULL,
    size      INTEGER NOT NULL,
    root      BLOB    NOT NULL,
    signed_at INTEGER NOT NULL,
    note      BLOB    NOT NULL,
    PRIMARY KEY (tenant_pk, size)
) WITHOUT ROWID;

-- Checkpoint signing keys: the public key, and the private key sealed with
-- the master key (NULL when the key lives in a file given by config).
CREATE TABLE ledger_keys (
    id         TEXT    PRIMARY KEY,
    vkey       TEXT    NOT NULL,
    sealed     BLOB,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
);

-- The guards: what the ledger hashed must stay what is stored. Events,
-- their target and label rows, tiles and checkpoints are never updated;
-- they are deleted only by the retention path, which sets allow_delete in
-- its own transaction (and resets it before committing). Sealed payloads
-- are not guarded: erasure destroys them, and the ledger holds only their
-- digest.
CREATE TABLE ledger_guard (
    one          INTEGER PRIMARY KEY CHECK (one = 1),
    allow_delete INTEGER NOT NULL DEFAULT 0
);
INSERT INTO ledger_guard (one, allow_delete) VALUES (1, 0);

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
CREATE TRIGGER ledger_tiles_no_update BEFORE UPDATE ON ledger_tiles
BEGIN SELECT RAISE(ABORT, 'ledger tiles are append-only'); END;
CREATE TRIGGER ledger_tiles_no_delete BEFORE DELETE ON ledger_tiles
BEGIN SELECT RAISE(ABORT, 'ledger tiles are append-only'); END;
CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
CREATE TRIGGER ledger_guard_closed BEFORE UPDATE ON ledger_guard
WHEN NEW.allow_delete NOT IN (0, 1)
BEGIN SELECT RAISE(ABORT, 'ledger_guard.allow_delete is 0 or 1'); END;

-- +goose Down
DROP TRIGGER ledger_guard_closed;
DROP TRIGGER ledger_checkpoints_no_delete;
DROP TRIGGER ledger_checkpoints_no_update;
DROP TRIGGER ledger_tiles_no_delete;
DROP TRIGGER ledger_tiles_no_update;
DROP TRIGGER event_labels_no_delete;
DROP TRIGGER event_labels_no_update;
DROP TRIGGER event_targets_no_delete;
DROP TRIGGER event_targets_no_update;
DROP TRIGGER events_no_delete;
DROP TRIGGER events_no_update;
DROP TABLE ledger_guard;
DROP TABLE ledger_keys;
DROP TABLE ledger_checkpoints;
