// Package postgres is the Store on PostgreSQL through jackc/pgx/v5: a
// pgxpool serves every call, embedded goose migrations bring the schema up
// to date at Open, and Append writes each group of requests in one
// transaction with COPY, to the log only (the indexer folds it into the
// query indexes behind). Several processes may write to one database: an
// append locks only its tenants' head rows, so seqs stay dense and
// different tenants commit in parallel; ids come from a sequence.
//
// Subpackage pgtest gives tests a fresh database cloned from a migrated
// template.
package postgres
