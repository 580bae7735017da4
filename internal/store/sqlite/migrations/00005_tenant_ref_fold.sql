-- +goose Up
-- Refs are unique and looked up without regard to ASCII case (SQLite's
-- lower() folds ASCII only; the PostgreSQL engine folds the same letters),
-- so "ACQ-1" cannot be created beside "acq-1" and either finds the tenant.
-- On a database where two refs already differ only by case this fails;
-- give one of them another ref first (docs/operations.md).
CREATE UNIQUE INDEX tenants_ref_fold ON tenants (lower(ref));

-- +goose Down
DROP INDEX tenants_ref_fold;
