-- +goose Up
-- Tenants carry a small integer key (pk) that every event row and index
-- uses; the public id is a UUIDv7. path lists the pks from the root down
-- ('/1/5/'), so a subtree is one range scan.
CREATE TABLE tenants (
    pk         INTEGER PRIMARY KEY,
    id         BLOB    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    kind       TEXT    NOT NULL DEFAULT '',
    ref        TEXT    UNIQUE,
    parent_pk  INTEGER REFERENCES tenants (pk),
    path       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id         BLOB    PRIMARY KEY,
    tenant_pk  INTEGER NOT NULL REFERENCES tenants (pk),
    name       TEXT    NOT NULL DEFAULT '',
    prefix     TEXT    NOT NULL,
    hash       BLOB    NOT NULL UNIQUE,
    scopes     TEXT    NOT NULL,
    allow_ips  TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_pk);

-- One row per tenant that has events: the next seq (the ledger's size) and
-- the number of live events (the unfiltered total).
CREATE TABLE tenant_heads (
    tenant_pk INTEGER PRIMARY KEY REFERENCES tenants (pk),
    next_seq  INTEGER NOT NULL,
    live      INTEGER NOT NULL
);

-- Times are Unix microseconds. Empty text is '' rather than NULL so that
-- "equals empty" needs no special case.
CREATE TABLE events (
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
CREATE UNIQUE INDEX events_tenant_seq ON events (tenant_pk, seq);
CREATE UNIQUE INDEX events_tenant_uuid ON events (tenant_pk, uuid);
CREATE UNIQUE INDEX events_tenant_idem ON events (tenant_pk, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_tenant_time ON events (tenant_pk, occurred_at, id);

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

-- Sealed payloads live apart from the event so erasure can remove them
-- while the event (and its digest in the ledger) stays.
CREATE TABLE event_payloads (
    event_id     INTEGER PRIMARY KEY,
    tenant_pk    INTEGER NOT NULL,
    subject_type TEXT    NOT NULL DEFAULT '',
    subject_id   TEXT    NOT NULL DEFAULT '',
    salt         BLOB    NOT NULL,
    data         BLOB    NOT NULL
);

-- Complete Merkle tiles (height 8, 256 hashes) of each tenant's ledger.
CREATE TABLE ledger_tiles (
    tenant_pk INTEGER NOT NULL,
    level     INTEGER NOT NULL,
    idx       INTEGER NOT NULL,
    data      BLOB    NOT NULL,
    PRIMARY KEY (tenant_pk, level, idx)
) WITHOUT ROWID;

-- Server secrets generated on first start (cursor signing key, sealed
-- ledger keys).
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE ledger_tiles;
DROP TABLE event_payloads;
DROP TABLE event_labels;
DROP TABLE event_targets;
DROP TABLE events;
DROP TABLE tenant_heads;
DROP TABLE api_keys;
DROP TABLE tenants;
