package ledger

import (
	"github.com/auditkeep/auditkeep/internal/event"
	"golang.org/x/mod/sumdb/tlog"
)

// LeafHash returns the Merkle leaf hash of a committed event: the RFC 6962
// leaf hash SHA-256(0x00 || event.LeafData(e)).
func LeafHash(e *event.Event) tlog.Hash {
	return tlog.RecordHash(event.LeafData(e))
}
