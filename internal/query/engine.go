package query

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// MaxLimit is the largest page any API may ask for.
const MaxLimit = 1000

// deepOffset is where an offset page with a total counts before it reads:
// beyond it, a page past the end would otherwise scan the whole offset.
const deepOffset = 10000

// Engine runs queries against a store.
type Engine struct {
	store store.Store
	key   []byte // HMAC key for cursors
}

// New makes an engine; cursorKey signs cursors (32 random bytes, kept by
// the store so cursors survive restarts and work across replicas).
func New(st store.Store, cursorKey []byte) *Engine {
	return &Engine{store: st, key: cursorKey}
}

// PageKind is how a request pages.
type PageKind int

// Page kinds.
const (
	// Cursor pages walk with an opaque keyset cursor; no total.
	Cursor PageKind = iota
	// Offset pages skip (Page-1)*Limit rows; Total counts all matches when
	// asked.
	Offset
)

// Request is one read.
type Request struct {
	// Scope is every tenant the caller may read. Never widened.
	Scope []uuid.UUID
	// Tenants, when set, narrows the scope to these tenants (those outside
	// the scope are ignored, so a foreign tenant selects nothing).
	Tenants []uuid.UUID
	// TenantRefs, when set, names tenants (ids or refs) for the read
	// service to resolve into Tenants; one the key does not reach selects
	// nothing.
	TenantRefs []string
	// TenantSubtrees widens each of Tenants to its descendants (still
	// within the scope).
	TenantSubtrees bool
	// TenantNameContains and TenantKinds narrow the scope by tenant
	// attributes (case-insensitive substring; any-of).
	TenantNameContains string
	TenantKinds        []string

	Filter store.Filter
	Sort   store.Sort
	Kind   PageKind
	Limit  int
	// Page is the 1-based page number of Offset pages.
	Page int
	// Total asks Offset pages for an exact total.
	Total bool
	// Cursor continues a Cursor walk ("" starts it).
	Cursor string
}

// Result is one page.
type Result struct {
	Events []event.Event
	// Total is the number of matching events, or -1 when not asked.
	Total int64
	// HasMore says whether another page follows.
	HasMore bool
	// NextCursor continues a Cursor walk; "" at the end.
	NextCursor string
}

// Run executes a request.
func (en *Engine) Run(ctx context.Context, r *Request) (*Result, error) {
	if r.Limit < 1 || r.Limit > MaxLimit {
		return nil, event.Invalid("limit", "must be between 1 and %d", MaxLimit)
	}
	scope, err := en.narrow(ctx, r)
	if err != nil {
		return nil, err
	}
	res := &Result{Total: -1}
	if len(scope) == 0 {
		if r.Total {
			res.Total = 0
		}
		return res, nil
	}
	q := &store.Query{Tenants: scope, Filter: r.Filter, Sort: r.Sort, Limit: r.Limit + 1}
	switch r.Kind {
	case Offset:
		if r.Page < 1 {
			return nil, event.Invalid("page", "must be 1 or more")
		}
		q.Offset = (r.Page - 1) * r.Limit
	case Cursor:
		if r.Cursor != "" {
			k, err := en.openCursor(r.Cursor, scope, r)
			if err != nil {
				return nil, err
			}
			q.After = k
		}
	}
	if r.Total && q.Offset > deepOffset {
		// A deep page: count first, and skip reading past the end.
		if res.Total, err = en.store.Count(ctx, &store.Query{Tenants: scope, Filter: r.Filter}); err != nil {
			return nil, err
		}
		if int64(q.Offset) >= res.Total {
			return res, nil
		}
	}
	evs, err := en.store.Find(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(evs) > r.Limit {
		evs, res.HasMore = evs[:r.Limit], true
	}
	res.Events = evs
	if r.Kind == Cursor && res.HasMore {
		res.NextCursor = en.sealCursor(scope, r, sortKey(r.Sort.Field, &evs[len(evs)-1]))
	}
	if r.Total && res.Total < 0 {
		if res.Total, err = en.count(ctx, q, len(evs), res.HasMore); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// count finds the total, skipping the query when the page already shows it.
func (en *Engine) count(ctx context.Context, q *store.Query, got int, more bool) (int64, error) {
	if !more && q.After == nil && (got > 0 || q.Offset == 0) {
		return int64(q.Offset + got), nil
	}
	cq := *q
	cq.After, cq.Offset, cq.Limit = nil, 0, 0
	return en.store.Count(ctx, &cq)
}

// narrow intersects the scope with the requested tenants and attributes.
func (en *Engine) narrow(ctx context.Context, r *Request) ([]uuid.UUID, error) {
	scope := r.Scope
	if len(r.Tenants) > 0 {
		named := r.Tenants
		if r.TenantSubtrees {
			named = nil
			for _, t := range r.Tenants {
				if !slices.Contains(r.Scope, t) {
					continue
				}
				sub, err := en.store.Subtree(ctx, t)
				if err != nil {
					return nil, err
				}
				named = append(named, sub...)
			}
		}
		var in []uuid.UUID
		for _, t := range named {
			if slices.Contains(r.Scope, t) && !slices.Contains(in, t) {
				in = append(in, t)
			}
		}
		scope = in
	}
	if r.TenantNameContains == "" && len(r.TenantKinds) == 0 {
		return scope, nil
	}
	all, err := en.store.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	needle := strings.ToLower(r.TenantNameContains)
	var out []uuid.UUID
	for _, t := range all {
		if !slices.Contains(scope, t.ID) {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(t.Name), needle) {
			continue
		}
		// Kinds are lower-cased at creation, but not those of tenants made
		// before that (an operator's "MERCHANT").
		if len(r.TenantKinds) > 0 && !slices.ContainsFunc(r.TenantKinds, func(k string) bool { return strings.EqualFold(k, t.Kind) }) {
			continue
		}
		out = append(out, t.ID)
	}
	return out, nil
}

func sortKey(f store.SortField, e *event.Event) *store.SortKey {
	k := &store.SortKey{ID: e.ID}
	switch f {
	case store.ByOccurredAt:
		k.Time = e.OccurredAt
	case store.ByActorType:
		k.Str = e.Actor.Type
	case store.ByTargetType:
		k.Str = e.PrimaryTarget().Type
	case store.ByActionType:
		k.Str = string(e.ActionType)
	}
	return k
}

// cursorBody is what a cursor carries, besides its MAC.
type cursorBody struct {
	T  int64  `json:"t,omitempty"` // occurred_at, Unix µs
	S  string `json:"s,omitempty"` // string sort value
	ID int64  `json:"i"`
}

// ErrBadCursor is a cursor that is malformed, forged, or from another query.
var ErrBadCursor = errors.New("cursor is not valid for this query")

func (en *Engine) sealCursor(scope []uuid.UUID, r *Request, k *store.SortKey) string {
	b := cursorBody{S: k.Str, ID: k.ID}
	if !k.Time.IsZero() {
		b.T = k.Time.UnixMicro()
	}
	body, _ := json.Marshal(b)
	mac := en.mac(scope, r, body)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(mac[:16])
}

func (en *Engine) openCursor(c string, scope []uuid.UUID, r *Request) (*store.SortKey, error) {
	bad := &event.FieldError{Field: "cursor", Message: ErrBadCursor.Error()}
	enc, sig, ok := strings.Cut(c, ".")
	if !ok || len(c) > 512 {
		return nil, bad
	}
	body, err1 := base64.RawURLEncoding.DecodeString(enc)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return nil, bad
	}
	want := en.mac(scope, r, body)
	if !hmac.Equal(mac, want[:16]) {
		return nil, bad
	}
	var b cursorBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, bad
	}
	k := &store.SortKey{Str: b.S, ID: b.ID}
	if r.Sort.Field == store.ByOccurredAt {
		k.Time = time.UnixMicro(b.T).UTC()
	}
	return k, nil
}

// mac binds a cursor to the scope, filter and sort it was made for. The
// limit is left out: a client may change the page size between pages.
func (en *Engine) mac(scope []uuid.UUID, r *Request, body []byte) []byte {
	h := hmac.New(sha256.New, en.key)
	ids := slices.Clone(scope)
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	for _, t := range ids {
		h.Write(t[:])
	}
	f, _ := json.Marshal(r.Filter)
	h.Write(f)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(r.Sort.Field)<<1|boolBit(r.Sort.Desc))
	h.Write(n[:])
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil)
}

func boolBit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// TargetTypes lists the distinct primary target types ("subjects") of the
// events in scope, sorted: the values a subject-type filter can match.
func (en *Engine) TargetTypes(ctx context.Context, scope []uuid.UUID) ([]string, error) {
	tt, ok := en.store.(interface {
		TargetTypes(context.Context, []uuid.UUID) ([]string, error)
	})
	if !ok {
		return nil, errors.New("this store cannot list target types")
	}
	if len(scope) == 0 {
		return []string{}, nil
	}
	return tt.TargetTypes(ctx, scope)
}
