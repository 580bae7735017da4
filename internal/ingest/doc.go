// Package ingest turns writers' events into committed ones. Service
// validates, resolves tenants and assigns uuids; Sequencer batches the
// requests of many concurrent writers into few transactions (group commit),
// so that a durable, fsynced commit is paid once per group rather than once
// per event, and answers each writer only after its events are committed.
package ingest
