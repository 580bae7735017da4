// Package apitest starts the real auditkeep service for tests: a fresh
// database (a SQLite file, or a PostgreSQL database made from a migrated
// template), the whole app as it ships, an HTTP listener on 127.0.0.1:0,
// and helpers to make tenants, keys and requests.
package apitest
