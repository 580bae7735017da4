// Package app wires auditkeep's parts into one running service: the store,
// the ingest sequencer, the query engine, the HTTP API and the dialects
// mounted on it. The command line and the end-to-end tests both build the
// service here, so tests run exactly what ships.
package app
