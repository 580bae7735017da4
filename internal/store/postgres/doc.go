// Package postgres is the Store on PostgreSQL through jackc/pgx/v5: a
// pgxpool serves every call, embedded goose migrations bring the schema up
// to date at Open, and Append writes each group of requests in one
// transaction with COPY. Several processes may write to one database: ids
// come from a locked counter row, so they still increase in commit order,
// and each tenant's head row is locked so seqs stay dense.
//
// Subpackage pgtest gives tests a fresh database cloned from a migrated
// template.
package postgres
