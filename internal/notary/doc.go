// Package notary runs the ledger for a store: it holds the checkpoint
// signing keys (sealed in the store with a master key, or read from a
// file), signs each tenant's checkpoint after commits (at most every
// interval), answers inclusion and consistency proofs from the stored
// tiles, and verifies a live store against its signed checkpoints.
package notary
