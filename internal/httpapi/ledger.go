package httpapi

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
)

// ledgerParams names the query parameters of each ledger route. The
// OpenAPI document lists the same; a test keeps the two in step.
var ledgerParams = map[string][]string{
	"GET /v1/ledger/checkpoint":        {"tenant", "fresh"},
	"GET /v1/ledger/checkpoints":       {"tenant", "size", "after", "limit"},
	"GET /v1/ledger/proof/inclusion":   {"tenant", "seq", "event", "size", "fresh"},
	"GET /v1/ledger/proof/consistency": {"tenant", "from", "to"},
	"GET /v1/ledger/keys":              {},
	"GET /v1/ledger/export":            {"tenant", "size", "fresh"},
}

// LedgerParams returns the query parameters of each ledger route, by
// route pattern, for the OpenAPI drift test.
func LedgerParams() map[string][]string { return maps.Clone(ledgerParams) }

// Checkpoint list page sizes.
const (
	defaultCheckpointPage = 100
	maxCheckpointPage     = 1000
)

// Headers of an export: the checkpoint it was cut at, so the client can
// verify what it received without another request.
const (
	HeaderCheckpoint     = "Ledger-Checkpoint"      // base64 of the signed note
	HeaderCheckpointSize = "Ledger-Checkpoint-Size" // its tree size: the export's line count
)

// errLedgerOff answers every ledger route of a server started without the
// ledger. It is a 404 (there is no ledger to read), but says why.
var errLedgerOff = &event.FieldError{Message: "the ledger is off on this server (it was started with --no-ledger)", Kind: event.ErrNotFound}

// ledgerRequest is a ledger route's checked query and the tenant it is about.
type ledgerRequest struct {
	q      map[string]string
	tenant uuid.UUID
}

// ledgerQuery checks that the ledger is on and that the query names only
// the route's parameters, each once, and resolves ?tenant= (default: the
// key's own). A tenant the key does not reach is answered exactly as one
// that does not exist.
func (s *Server) ledgerQuery(r *http.Request, p *auth.Principal) (ledgerRequest, error) {
	if s.d.Notary == nil {
		return ledgerRequest{}, errLedgerOff
	}
	q, err := s.singleParams(r, ledgerParams[r.Pattern]...)
	if err != nil {
		return ledgerRequest{}, err
	}
	lr := ledgerRequest{q: q, tenant: p.TenantID}
	if ref := q["tenant"]; ref != "" {
		t, err := s.d.Read.Tenant(r.Context(), p, ref)
		if err != nil {
			return ledgerRequest{}, err
		}
		lr.tenant = t.ID
	}
	return lr, s.freshen(r, lr)
}

// int reads the integer parameter name, which must be at least min; ok is
// false when it is absent. Only decimal digits are taken: no sign, no
// exponent, nothing past the int64 range, so "+5", "1e3" and
// 9223372036854775808 are refused rather than read as something else.
func (lr ledgerRequest) int(name string, min int64) (n int64, ok bool, err error) {
	v, ok := lr.q[name]
	if !ok {
		return 0, false, nil
	}
	n, err = parseDecimal(v)
	if err != nil || n < min {
		return 0, true, event.Invalid(name, "must be an integer from %d to %d", min, int64(math.MaxInt64))
	}
	return n, true, nil
}

// parseDecimal reads a non-negative decimal integer of digits only.
func parseDecimal(v string) (int64, error) {
	if v == "" || strings.TrimLeft(v, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseInt(v, 10, 64)
}

// GET /v1/ledger/checkpoint: the latest signed checkpoint, once it covers
// every event committed before the request (see notary.Checkpoint).
func (s *Server) ledgerCheckpoint(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	lr, err := s.ledgerQuery(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cp, err := s.d.Read.Checkpoint(r.Context(), p, lr.tenant, 0)
	if err != nil {
		s.writeError(w, r, noCheckpoint(err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeNote(w, cp.Note)
}

// noCheckpoint gives "no events yet" a message: for a tenant the key
// reaches, saying so reveals nothing.
func noCheckpoint(err error) error {
	if errors.Is(err, event.ErrNotFound) {
		return &event.FieldError{Message: "no checkpoint: the tenant has no events yet", Kind: event.ErrNotFound}
	}
	return err
}

func writeNote(w http.ResponseWriter, note []byte) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(note)
}

// checkpointJSON is one checkpoint in a list.
type checkpointJSON struct {
	Size int64  `json:"size"`
	Root string `json:"root"`
	Time string `json:"time"`
	Note string `json:"note"`
}

type checkpointListJSON struct {
	Checkpoints []checkpointJSON `json:"checkpoints"`
	NextAfter   *int64           `json:"next_after"`
}

// GET /v1/ledger/checkpoints: the note of the checkpoint of ?size=, or a
// page of checkpoints by size.
func (s *Server) ledgerCheckpoints(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	lr, err := s.ledgerQuery(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	size, hasSize, err := lr.int("size", 1)
	after, hasAfter, err2 := lr.int("after", 0)
	limit, hasLimit, err3 := lr.int("limit", 1)
	if err = errors.Join(err, err2, err3); err != nil {
		s.writeError(w, r, firstField(err))
		return
	}
	switch {
	case hasSize && (hasAfter || hasLimit):
		s.writeError(w, r, event.Invalid("size", "names one checkpoint; it cannot be combined with after or limit"))
		return
	case hasSize:
		cp, err := s.d.Read.Checkpoint(r.Context(), p, lr.tenant, size)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeNote(w, cp.Note)
		return
	case !hasLimit:
		limit = defaultCheckpointPage
	case limit > maxCheckpointPage:
		s.writeError(w, r, event.Invalid("limit", "must be an integer from 1 to %d", maxCheckpointPage))
		return
	}
	// One more than the page, to know whether another follows.
	page, err := s.d.Read.Checkpoints(r.Context(), p, lr.tenant, after, int(limit)+1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	more := len(page) > int(limit)
	page = page[:min(len(page), int(limit))]
	out := checkpointListJSON{Checkpoints: make([]checkpointJSON, len(page))}
	for k, c := range page {
		out.Checkpoints[k] = checkpointJSON{Size: c.Size, Root: b64(c.Root), Time: c.Time.UTC().Format(ledger.CheckpointTimeLayout), Note: string(c.Note)}
	}
	if more {
		last := page[len(page)-1].Size
		out.NextAfter = &last
	}
	writeJSON(w, http.StatusOK, out)
}

// firstField returns the first error of a join, so the answer names one
// parameter.
func firstField(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()[0]
	}
	return err
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func b64s(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = b64(h)
	}
	return out
}

// inclusionJSON proves one event is in a tenant's log: check it with
// tlog.CheckRecord(proof, size, root, seq, leaf_hash) after verifying the
// checkpoint's signature and that it states size and root.
type inclusionJSON struct {
	Tenant     string   `json:"tenant"`
	Origin     string   `json:"origin"`
	Seq        int64    `json:"seq"`
	EventID    int64    `json:"event_id,omitempty"`
	UUID       string   `json:"uuid,omitempty"`
	LeafHash   string   `json:"leaf_hash"`
	Size       int64    `json:"size"`
	Root       string   `json:"root"`
	Proof      []string `json:"proof"`
	Checkpoint string   `json:"checkpoint"`
}

// GET /v1/ledger/proof/inclusion: ?seq= or ?event=, and ?size= (default:
// the latest checkpoint that covers the event).
func (s *Server) ledgerInclusion(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	lr, err := s.ledgerQuery(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	seq, hasSeq, err := lr.int("seq", 0)
	size, _, err2 := lr.int("size", 1)
	if err = errors.Join(err, err2); err != nil {
		s.writeError(w, r, firstField(err))
		return
	}
	out := inclusionJSON{Tenant: lr.tenant.String(), Origin: s.d.Notary.Origin(lr.tenant)}
	ev, hasEvent := lr.q["event"]
	switch {
	case hasSeq && hasEvent:
		s.writeError(w, r, event.Invalid("event", "give seq or event, not both"))
		return
	case hasEvent:
		ref, ok := parseEventRef(ev)
		if !ok {
			s.writeError(w, r, event.Invalid("event", "must be an event id or uuid"))
			return
		}
		e, err := s.d.Read.EventIn(r.Context(), p, lr.tenant, ref)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		seq, out.EventID, out.UUID = e.Seq, e.ID, e.UUID.String()
	case !hasSeq:
		s.writeError(w, r, event.Invalid("seq", "give seq (the event's position in the log) or event (its id or uuid)"))
		return
	}
	pr, err := s.d.Read.ProveInclusion(r.Context(), p, lr.tenant, seq, size)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out.Seq, out.LeafHash, out.Proof = pr.Seq, b64(pr.Leaf), b64s(pr.Proof)
	out.Size, out.Root, out.Checkpoint = pr.Checkpoint.Size, b64(pr.Checkpoint.Root), string(pr.Checkpoint.Note)
	writeJSON(w, http.StatusOK, out)
}

// consistencyJSON proves the tree of size from is a prefix of the tree of
// size to: tlog.CheckTree(proof, to, to_root, from, from_root), with both
// checkpoints' signatures verified.
type consistencyJSON struct {
	Tenant         string   `json:"tenant"`
	Origin         string   `json:"origin"`
	From           int64    `json:"from"`
	To             int64    `json:"to"`
	FromRoot       string   `json:"from_root"`
	ToRoot         string   `json:"to_root"`
	Proof          []string `json:"proof"`
	FromCheckpoint string   `json:"from_checkpoint"`
	ToCheckpoint   string   `json:"to_checkpoint"`
}

// GET /v1/ledger/proof/consistency: ?from= and ?to= (default: the latest
// checkpoint), both sizes of signed checkpoints.
func (s *Server) ledgerConsistency(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	lr, err := s.ledgerQuery(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	from, hasFrom, err := lr.int("from", 1)
	to, _, err2 := lr.int("to", 1)
	if err = errors.Join(err, err2); err != nil {
		s.writeError(w, r, firstField(err))
		return
	}
	if !hasFrom {
		s.writeError(w, r, event.Invalid("from", "is required: the size of the older checkpoint"))
		return
	}
	if to > 0 && from > to {
		s.writeError(w, r, event.Invalid("from", "must not be above to"))
		return
	}
	pr, err := s.d.Read.ProveConsistency(r.Context(), p, lr.tenant, from, to)
	if errors.Is(err, event.ErrNotFound) {
		err = s.unsignedSize(r, p, lr.tenant, from, to)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, consistencyJSON{
		Tenant: lr.tenant.String(), Origin: s.d.Notary.Origin(lr.tenant),
		From: pr.From.Size, To: pr.To.Size, FromRoot: b64(pr.From.Root), ToRoot: b64(pr.To.Root),
		Proof: b64s(pr.Proof), FromCheckpoint: string(pr.From.Note), ToCheckpoint: string(pr.To.Note),
	})
}

// unsignedSize says which size of a consistency proof has no signed
// checkpoint, and where the signed ones are listed: a proof is only
// between checkpoints the server signed, and a client holding a size it
// computed itself needs to know that, not just "not found".
func (s *Server) unsignedSize(r *http.Request, p *auth.Principal, tenant uuid.UUID, from, to int64) error {
	name, size := "from", from
	if to > 0 {
		if _, err := s.d.Read.Checkpoint(r.Context(), p, tenant, to); errors.Is(err, event.ErrNotFound) {
			name, size = "to", to
		} else if err != nil {
			return err
		}
	} else if _, err := s.d.Read.Checkpoint(r.Context(), p, tenant, 0); err != nil {
		return noCheckpoint(err)
	}
	return &event.FieldError{Field: name, Kind: event.ErrNotFound,
		Message: fmt.Sprintf("no signed checkpoint has size %d; a proof is between signed checkpoints, and GET /v1/ledger/checkpoints lists their sizes", size)}
}

// ledgerKeyJSON is a checkpoint signing key's public half.
type ledgerKeyJSON struct {
	ID        string `json:"id"`
	VKey      string `json:"vkey"`
	CreatedAt string `json:"created_at"`
	RetiredAt string `json:"retired_at,omitempty"`
	Active    bool   `json:"active"`
}

// GET /v1/ledger/keys: every key checkpoints were signed with; the one
// signing now is active.
func (s *Server) ledgerKeys(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if _, err := s.ledgerQuery(r, p); err != nil {
		s.writeError(w, r, err)
		return
	}
	keys, err := s.d.Read.LedgerKeys(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	active := s.d.Notary.Keyring().VerifierKeys()[0]
	out := struct {
		Keys []ledgerKeyJSON `json:"keys"`
	}{Keys: make([]ledgerKeyJSON, len(keys))}
	for i, k := range keys {
		j := ledgerKeyJSON{ID: k.ID, VKey: k.VKey, CreatedAt: k.CreatedAt.UTC().Format(time.RFC3339), Active: k.VKey == active}
		if !k.RetiredAt.IsZero() {
			j.RetiredAt = k.RetiredAt.UTC().Format(time.RFC3339)
		}
		out.Keys[i] = j
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /v1/ledger/export: the tenant's log as NDJSON, cut at a checkpoint
// (?size=, default the latest, signed now if the log outgrew it) named in
// the Ledger-Checkpoint headers, streamed.
func (s *Server) ledgerExport(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	lr, err := s.ledgerQuery(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	size, _, err := lr.int("size", 1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cp, err := s.d.Read.Checkpoint(r.Context(), p, lr.tenant, size)
	if err != nil {
		if size == 0 {
			err = noCheckpoint(err)
		}
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="auditkeep-%s-%d.ndjson"`, lr.tenant, cp.Size))
	h.Set(HeaderCheckpointSize, strconv.FormatInt(cp.Size, 10))
	h.Set(HeaderCheckpoint, base64.StdEncoding.EncodeToString(cp.Note))
	cw := &exportWriter{w: w, rc: http.NewResponseController(w), window: s.cfg.ExportWriteTimeout}
	bw := bufio.NewWriterSize(cw, 64<<10)
	n, err := s.d.Read.Export(r.Context(), p, lr.tenant, cp.Size, bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		return
	}
	if cw.n == 0 {
		// Nothing has reached the client: answer with a proper error.
		h.Del(HeaderCheckpoint)
		h.Del(HeaderCheckpointSize)
		h.Del("Content-Disposition")
		s.writeError(w, r, err)
		return
	}
	// Mid-stream the status is sent; cut the connection so the client sees
	// a broken transfer, not an export that merely looks short.
	s.log.WarnContext(r.Context(), "export interrupted", slog.String("tenant", lr.tenant.String()), slog.Int64("lines", n), slog.Any("err", err))
	panic(http.ErrAbortHandler)
}

// exportWriter counts the bytes handed to the response, and gives each
// write its own deadline: an export may outlast the server's WriteTimeout,
// but a client that stops reading is cut off one window later, and its
// export ends and frees its slot.
type exportWriter struct {
	w      http.ResponseWriter
	rc     *http.ResponseController
	window time.Duration
	n      int64
}

func (c *exportWriter) Write(b []byte) (int, error) {
	// Not every ResponseWriter supports deadlines (a test recorder); the
	// server's own do.
	_ = c.rc.SetWriteDeadline(time.Now().Add(c.window))
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
