package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
)

// exportBatchBytes is about how much of an export is read from the
// database before it is written to the client: the export's memory bound,
// plus one event.
const exportBatchBytes = 1 << 20

// errBatchFull ends one batch's scan.
var errBatchFull = errors.New("export batch full")

// Export writes the log of tenant, which p must reach, as NDJSON: one
// event per line as the native API renders it, in seq order, for the seqs
// below size — notary.Export's format, which `auditkeep verify --export`
// checks. It reads in batches and writes each to w only after its query
// has ended, so a client that stops reading holds no database connection,
// only its batch. It returns how many lines it wrote.
func (s *Service) Export(ctx context.Context, p *auth.Principal, tenantID uuid.UUID, size int64, w io.Writer) (int64, error) {
	if !p.Reaches(tenantID) {
		return 0, event.ErrNotFound
	}
	release, err := s.exports.acquire(p.TenantID)
	if err != nil {
		return 0, err
	}
	defer release()
	ectx, cancel := context.WithTimeout(ctx, s.limits.ExportTimeout)
	defer cancel()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Escaping <, > and & would still be valid JSON, but the canonical
	// metadata's bytes would not be what the writer sent.
	enc.SetEscapeHTML(false)
	var lines int64
	for from := int64(0); from < size; {
		buf.Reset()
		var n int64
		done, err := read(ectx, s, s.limits.ReadTimeout, func(ctx context.Context) (bool, error) {
			err := s.store.ScanLedger(ctx, tenantID, from, func(e *event.Event, _ []byte) error {
				if e.Seq >= size {
					return io.EOF
				}
				j := event.ToJSON(e)
				if err := enc.Encode(&j); err != nil {
					return err
				}
				n++
				from = e.Seq + 1
				if buf.Len() >= exportBatchBytes {
					return errBatchFull
				}
				return nil
			})
			switch {
			case errors.Is(err, errBatchFull):
				return false, nil
			case err == nil, errors.Is(err, io.EOF):
				return true, nil
			}
			return false, err
		})
		if err != nil {
			return lines, s.translate(ctx, ectx, s.limits.ExportTimeout, err)
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return lines, s.translate(ctx, ectx, s.limits.ExportTimeout, err)
		}
		lines += n
		if done {
			break
		}
	}
	return lines, nil
}

// exportGate counts the exports running, in all and by the tenant of the
// key that asked, so a few stalled or slow exports of one tenant cannot
// take every export slot, nor every database connection, from the others.
type exportGate struct {
	limits  Limits
	mu      sync.Mutex
	total   int
	running map[uuid.UUID]int
}

func (g *exportGate) acquire(t uuid.UUID) (release func(), err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.total >= g.limits.MaxExports || g.running[t] >= g.limits.MaxExportsPerTenant {
		return nil, &event.FieldError{Kind: event.ErrUnavailable, Message: fmt.Sprintf(
			"too many exports are running (at most %d at once, %d per tenant); retry later", g.limits.MaxExports, g.limits.MaxExportsPerTenant)}
	}
	g.total++
	g.running[t]++
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.total--
		if g.running[t]--; g.running[t] == 0 {
			delete(g.running, t)
		}
	}, nil
}
