// Package sqlite is the Store on an embedded SQLite file (modernc.org/sqlite,
// no cgo): WAL journal, full fsync at commit, one writer connection that the
// ingest sequencer feeds with whole groups of requests, and a small pool of
// read-only connections beside it.
package sqlite
