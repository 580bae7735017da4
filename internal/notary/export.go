package notary

import (
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Export writes a tenant's log as NDJSON: one event per line, as the native
// API renders it (event.ToJSON: the payload's digest, never the payload), in
// seq order, for the seqs below size. Give it the size of a signed
// checkpoint and the two verify offline together (ledger.VerifyExport,
// `auditkeep verify --export`).
//
// The rows are written as stored, gaps and all: an export is evidence, so
// it must show a tampered log as it is rather than refuse it. It returns
// how many lines it wrote.
func Export(ctx context.Context, st store.Store, tenant uuid.UUID, size int64, w io.Writer) (int64, error) {
	enc := json.NewEncoder(w)
	// Escaping <, > and & would still be valid JSON, but the canonical
	// metadata's bytes would not be what the writer sent.
	enc.SetEscapeHTML(false)
	var n int64
	err := st.ScanLedger(ctx, tenant, 0, func(e *event.Event, _ []byte) error {
		if e.Seq >= size {
			return errStop
		}
		j := event.ToJSON(e)
		if err := enc.Encode(&j); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return n, err
	}
	return n, nil
}
