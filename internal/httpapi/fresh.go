package httpapi

import (
	"errors"
	"net/http"

	"github.com/auditkeep/auditkeep/internal/event"
)

// freshen answers ?fresh=true: a checkpoint covering the tenant's whole log
// is signed now, so the read that follows neither waits for the signer's
// next interval nor is cut at an older checkpoint. Reads sign at most once
// per interval otherwise (notary.Checkpoint); this is the caller asking
// for one, and it signs only when the log has grown.
func (s *Server) freshen(r *http.Request, lr ledgerRequest) error {
	v, ok := lr.q["fresh"]
	switch {
	case !ok || v == "false":
		return nil
	case v != "true":
		return event.Invalid("fresh", "must be true or false")
	}
	_, err := s.d.Notary.SignLatest(r.Context(), lr.tenant)
	if errors.Is(err, event.ErrNotFound) {
		// No events yet: the read itself says so.
		return nil
	}
	return err
}
