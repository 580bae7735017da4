// Package ledger turns each tenant's events into an append-only, verifiable
// log: an RFC 6962 Merkle tree whose leaf n is the event with seq n, hashed
// as tlog.RecordHash(event.LeafData(e)).
//
// The package is pure: it imports no store, no SQL and no HTTP, so that
// every store, the API, the monitor and the offline verifier share one
// implementation of the tree and its proofs. Stores hand it their data
// through TileSource and persist what it returns.
//
// Hashes are kept as tlog tiles of height 8. Only complete tiles (256
// hashes) are ever persisted, because the ledger tables are append-only: a
// partial tile would have to be rewritten as the log grows. Partial tiles
// are derived on demand — at level 0 from the leaf hashes the store keeps on
// each event row, at level k from the hashes of the complete level-(k-1)
// tiles below them.
//
// The pieces:
//
//   - Tail is the right edge of one tenant's tree, held by the store's single
//     writer. It yields each tile as it becomes complete and the current
//     root in O(log n).
//   - NewTileReader, Root, InclusionProof and ConsistencyProof read the tree
//     at any size from a TileSource; TileCache keeps complete tiles (which
//     never change) so a proof costs a handful of reads.
//   - Checkpoint is a C2SP tlog-checkpoint, signed as a golang.org/x/mod
//     note with Ed25519; Keyring holds the signing key and the verifiers of
//     retired keys; SealKey encrypts a signing key at rest.
//   - VerifyLog and VerifyExport recompute a log from its events and compare
//     it with signed checkpoints, naming the first event that does not match.
//
// docs/ledger.md specifies the encodings for other implementations.
package ledger
