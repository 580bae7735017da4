-- +goose Up
-- Refs are unique and looked up without regard to ASCII case, folded by
-- translate() rather than lower(): lower() follows the database's locale
-- and folds letters outside ASCII too, which SQLite's does not, and both
-- engines must agree on which refs are the same (tenants.go, refFold).
-- On a database where two refs already differ only by case this fails;
-- give one of them another ref first (docs/operations.md).
CREATE UNIQUE INDEX tenants_ref_fold ON tenants
    (translate(ref, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'));

-- +goose Down
DROP INDEX tenants_ref_fold;
