package ledger

import "errors"

// Errors of the package. Each is wrapped with detail; test with errors.Is.
var (
	// ErrProof means a Merkle proof does not verify: the log is not what
	// the checkpoint says, or the proof was altered.
	ErrProof = errors.New("ledger: proof does not verify")
	// ErrCheckpoint means a checkpoint is malformed or not signed by a
	// trusted key.
	ErrCheckpoint = errors.New("ledger: bad checkpoint")
	// ErrKey means a key is malformed, or a sealed key cannot be opened
	// with the master key given.
	ErrKey = errors.New("ledger: bad key")
)

// errShortRead is a TileSource returning the wrong number or size of items.
var errShortRead = errors.New("ledger: tile source returned the wrong number or size of items")
