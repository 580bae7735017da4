// Package event holds auditkeep's canonical audit event: the one shape every
// writer, store, ledger and vendor dialect maps to and from.
//
// It knows nothing of storage or HTTP. It validates an event as a writer sent
// it, fills in defaults, and produces the canonical, deterministic encoding
// that the ledger hashes (see docs/ledger.md), so that another
// implementation can recompute a leaf from an exported event.
package event
