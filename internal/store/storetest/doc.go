// Package storetest is the conformance suite every store.Store engine runs:
// tenants, keys, ingest, idempotency, seq assignment under concurrency,
// tenant isolation, reads and errors. An engine's test calls Run with a
// function that returns a fresh, empty store.
package storetest
