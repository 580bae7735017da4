package monitor

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/auditkeep/auditkeep/internal/ledger"
)

// Config says what to watch.
type Config struct {
	URL    string // the service's base URL
	Key    string // an API key with events:read
	Tenant string // id or ref; "" for the key's own tenant
	// VKeys are the pinned verifier keys. Without them the keys the
	// server publishes are used, which detects accidents but not a server
	// that lies.
	VKeys []string
	HTTP  *http.Client
}

// Alarm is evidence that the log is not append-only, or that its
// checkpoints are not genuine. A monitor that sees one should page a human.
type Alarm struct {
	Reason string
	Old    *ledger.Checkpoint // the last accepted checkpoint, if any
	New    *ledger.Checkpoint // the offending one, if it parsed
}

func (a *Alarm) Error() string { return "ALARM: " + a.Reason }

// Monitor holds the last accepted checkpoint between rounds.
type Monitor struct {
	cfg      Config
	last     *ledger.Checkpoint
	lastNote []byte
}

// New returns a monitor with no accepted checkpoint yet.
func New(cfg Config) *Monitor {
	// A copy, so the caller's client keeps its own redirect policy.
	client := http.Client{}
	if cfg.HTTP != nil {
		client = *cfg.HTTP
	}
	// The key goes in every request; a redirect, to another host or
	// not, is a service that moved or one that wants the key elsewhere,
	// and either way the operator must point the monitor at the new URL.
	client.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		return fmt.Errorf("redirected to %s: not followed; watch that URL instead", Excerpt([]byte(req.URL.Redacted())))
	}
	cfg.HTTP = &client
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	return &Monitor{cfg: cfg}
}

// Resume sets the last accepted checkpoint (from a state file). Its
// signature is checked on the next round, with the keys of that round.
func (m *Monitor) Resume(note []byte) error {
	cp, err := ledger.ParseCheckpoint(noteText(note))
	if err != nil {
		return fmt.Errorf("saved checkpoint: %w", err)
	}
	m.last, m.lastNote = &cp, note
	return nil
}

// Last returns the last accepted checkpoint's note, nil before the first.
func (m *Monitor) Last() []byte { return m.lastNote }

// noteText is the text of a signed note, before its blank line.
func noteText(msg []byte) []byte {
	s := string(msg)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return []byte(s[:i+1])
	}
	return msg
}

// Result is what a round found.
type Result struct {
	Checkpoint ledger.Checkpoint
	// From is the size of the checkpoint it was proven to extend; -1 on
	// the first round.
	From int64
}

// Round fetches the latest checkpoint and checks it against the last one.
// An *Alarm is evidence against the log; other errors are failures to ask
// (the server is down, the key is wrong) and prove nothing.
func (m *Monitor) Round(ctx context.Context) (Result, error) {
	verifiers, err := m.verifiers(ctx)
	if err != nil {
		return Result{}, err
	}
	if m.last != nil {
		if _, err := ledger.Open(m.lastNote, verifiers); err != nil {
			return Result{}, &Alarm{Reason: fmt.Sprintf("the saved checkpoint of size %d does not verify with the keys: %s", m.last.Size, clip(err)), Old: m.last}
		}
	}
	msg, err := m.get(ctx, "/v1/ledger/checkpoint", nil)
	if err != nil {
		return Result{}, err
	}
	cp, err := ledger.Open(msg, verifiers)
	if err != nil {
		return Result{}, &Alarm{Reason: fmt.Sprintf("the checkpoint served is not genuine: %s", clip(err)), Old: m.last}
	}
	res := Result{Checkpoint: cp, From: -1}
	if m.last != nil {
		old := *m.last
		switch {
		case cp.Origin != old.Origin:
			return res, &Alarm{Reason: fmt.Sprintf("the checkpoint is of log %q, not %q", cp.Origin, old.Origin), Old: &old, New: &cp}
		case cp.Size < old.Size:
			return res, &Alarm{Reason: fmt.Sprintf("the log shrank from %d to %d events", old.Size, cp.Size), Old: &old, New: &cp}
		case cp.Size == old.Size && cp.Root != old.Root:
			return res, &Alarm{Reason: fmt.Sprintf("two signed roots for size %d: the log forked", cp.Size), Old: &old, New: &cp}
		case cp.Size > old.Size:
			if err := m.checkConsistency(ctx, old, cp); err != nil {
				return res, err
			}
		}
		res.From = old.Size
	}
	m.last, m.lastNote = &cp, msg
	return res, nil
}

// consistencyAnswer is the part of GET /v1/ledger/proof/consistency the
// monitor reads.
type consistencyAnswer struct {
	From     int64    `json:"from"`
	To       int64    `json:"to"`
	FromRoot string   `json:"from_root"`
	ToRoot   string   `json:"to_root"`
	Proof    []string `json:"proof"`
}

func (m *Monitor) checkConsistency(ctx context.Context, old, cp ledger.Checkpoint) error {
	body, err := m.get(ctx, "/v1/ledger/proof/consistency", url.Values{"from": {fmt.Sprint(old.Size)}, "to": {fmt.Sprint(cp.Size)}})
	if err != nil {
		return err
	}
	var a consistencyAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return fmt.Errorf("consistency proof: %s", clip(err))
	}
	alarm := func(format string, args ...any) error {
		return &Alarm{Reason: fmt.Sprintf(format, args...), Old: &old, New: &cp}
	}
	roots, err := decodeHashes([]string{a.FromRoot, a.ToRoot})
	if err != nil || a.From != old.Size || a.To != cp.Size {
		return alarm("the consistency proof from %d to %d is malformed", old.Size, cp.Size)
	}
	if roots[0] != old.Root {
		return alarm("the server now states another root for size %d than the checkpoint accepted before: the log forked", old.Size)
	}
	proof, err := decodeHashes(a.Proof)
	if err != nil {
		return alarm("the consistency proof from %d to %d is malformed", old.Size, cp.Size)
	}
	if err := ledger.CheckConsistency(old, cp, tlog.TreeProof(proof)); err != nil {
		return alarm("the log of size %d does not extend the log of size %d: %s", cp.Size, old.Size, clip(err))
	}
	return nil
}

func decodeHashes(in []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(in))
	for i, s := range in {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			return nil, errors.New("bad hash")
		}
		out[i] = tlog.Hash(b)
	}
	return out, nil
}

// verifiers returns the pinned keys, or those the server publishes.
func (m *Monitor) verifiers(ctx context.Context) (note.Verifiers, error) {
	if len(m.cfg.VKeys) > 0 {
		return ledger.Verifiers(m.cfg.VKeys...)
	}
	body, err := m.get(ctx, "/v1/ledger/keys", nil)
	if err != nil {
		return nil, err
	}
	var keys struct {
		Keys []struct {
			VKey string `json:"vkey"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(body, &keys); err != nil {
		return nil, fmt.Errorf("ledger keys: %s", clip(err))
	}
	var vkeys []string
	for _, k := range keys.Keys {
		vkeys = append(vkeys, k.VKey)
	}
	return ledger.Verifiers(vkeys...)
}

// get fetches a ledger route of the watched tenant.
func (m *Monitor) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	if q == nil {
		q = url.Values{}
	}
	if m.cfg.Tenant != "" && path != "/v1/ledger/keys" {
		q.Set("tenant", m.cfg.Tenant)
	}
	u := m.cfg.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+m.cfg.Key)
	resp, err := m.cfg.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, Excerpt([]byte(resp.Status)), Excerpt(bytes.TrimSpace(body)))
	}
	return body, nil
}

// ExcerptBytes is the most of a response body an error quotes.
const ExcerptBytes = 200

// Excerpt is a short, printable quotation of what a service sent: the
// first ExcerptBytes bytes with every control character, invalid UTF-8
// and non-ASCII rune escaped, so a hostile or broken service cannot flood
// the terminal or drive it with escape sequences.
func Excerpt(b []byte) string {
	cut := len(b) > ExcerptBytes
	if cut {
		b = b[:ExcerptBytes]
	}
	s := strconv.QuoteToASCII(string(b))
	s = s[1 : len(s)-1]
	if cut {
		s += fmt.Sprintf("… (%d bytes shown)", ExcerptBytes)
	}
	return s
}

// clip bounds an error that may quote what the service sent (the parsers
// quote with %q, which escapes but does not shorten).
func clip(err error) string {
	s := err.Error()
	if len(s) <= 2*ExcerptBytes {
		return s
	}
	s = s[:2*ExcerptBytes]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
