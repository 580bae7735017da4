// Package httpapi is auditkeep's HTTP surface: routing, middleware (request
// logs, metrics, panic recovery, authentication), the native API and the
// admin API, and the one table that maps domain errors to statuses. The
// vendor dialects mount their own handlers on the same server.
package httpapi
