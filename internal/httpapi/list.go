package httpapi

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/query"
)

// listJSON is the answer of GET /v1/events.
type listJSON struct {
	Events     httpx.Items[event.JSON] `json:"events"`
	NextCursor *string                 `json:"next_cursor"`
	Total      *int64                  `json:"total,omitempty"`
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	req, tenants, err := parseList(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req.TenantRefs = tenants
	res, err := s.d.Read.Run(r.Context(), p, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := listJSON{Events: make(httpx.Items[event.JSON], len(res.Events))}
	for i := range res.Events {
		out.Events[i] = event.ToJSON(&res.Events[i])
	}
	if res.NextCursor != "" {
		out.NextCursor = &res.NextCursor
	}
	if res.Total >= 0 {
		out.Total = &res.Total
	}
	httpx.WriteStream(w, http.StatusOK, "application/json", out, out.Events)
}

// listParam is one parameter of GET /v1/events: how it applies to the
// request. The OpenAPI document lists the same names; a test keeps the two
// in step.
type listParam struct {
	name  string
	apply func(l *listing, vals []string) error
}

// listing is the request being built, with the parameters that need
// resolving after parsing.
type listing struct {
	req     *query.Request
	tenants []string
}

func strs(dst func(l *listing) *[]string) func(*listing, []string) error {
	return func(l *listing, vals []string) error {
		*dst(l) = append(*dst(l), vals...)
		return nil
	}
}

func filter(l *listing) *query.Filter { return &l.req.Filter }

// ListParams names every parameter GET /v1/events takes, besides the
// label.KEY family.
func ListParams() []string {
	names := make([]string, len(listParams))
	for i, p := range listParams {
		names[i] = p.name
	}
	return append(names, LabelParamPrefix+"{key}")
}

// LabelParamPrefix starts the label filter parameters: label.KEY=V.
const LabelParamPrefix = "label."

var listParams = []listParam{
	{"limit", func(l *listing, v []string) error {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > query.MaxLimit || len(v) > 1 {
			return event.Invalid("limit", "must be one integer from 1 to %d", query.MaxLimit)
		}
		l.req.Limit = n
		return nil
	}},
	{"cursor", func(l *listing, v []string) error {
		if len(v) > 1 {
			return event.Invalid("cursor", "must be given once")
		}
		l.req.Cursor = v[0]
		return nil
	}},
	{"count", func(l *listing, v []string) error {
		if len(v) > 1 || v[0] != "exact" {
			return event.Invalid("count", `must be "exact"`)
		}
		l.req.Total = true
		return nil
	}},
	{"sort", func(l *listing, v []string) error {
		f, ok := sortFields[v[0]]
		if !ok || len(v) > 1 {
			return event.Invalid("sort", "must be one of occurred_at, actor.type, target.type, action_type")
		}
		l.req.Sort.Field = f
		return nil
	}},
	{"order", func(l *listing, v []string) error {
		switch {
		case len(v) > 1:
			return event.Invalid("order", "must be given once")
		case v[0] == "asc":
			l.req.Sort.Desc = false
		case v[0] == "desc":
			l.req.Sort.Desc = true
		default:
			return event.Invalid("order", `must be "asc" or "desc"`)
		}
		return nil
	}},
	{"id", func(l *listing, v []string) error {
		for _, s := range v {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 1 {
				return event.Invalid("id", "must be a positive integer")
			}
			l.req.Filter.IDs = append(l.req.Filter.IDs, n)
		}
		return nil
	}},
	{"uuid", func(l *listing, v []string) error {
		for _, s := range v {
			u, err := uuid.Parse(s)
			if err != nil || len(s) != 36 {
				return event.Invalid("uuid", "must be a UUID")
			}
			l.req.Filter.UUIDs = append(l.req.Filter.UUIDs, u)
		}
		return nil
	}},
	{"category", strs(func(l *listing) *[]string { return &filter(l).Categories })},
	{"action", strs(func(l *listing) *[]string { return &filter(l).Actions })},
	{"action_prefix", strs(func(l *listing) *[]string { return &filter(l).ActionPrefixes })},
	{"action_type", func(l *listing, v []string) error {
		for _, s := range v {
			if s != string(event.Active) && s != string(event.Passive) {
				return event.Invalid("action_type", `must be "active" or "passive"`)
			}
		}
		l.req.Filter.ActionTypes = append(l.req.Filter.ActionTypes, v...)
		return nil
	}},
	{"status", func(l *listing, v []string) error {
		for _, s := range v {
			switch event.Status(s) {
			case event.Success, event.Failure, event.Info:
			default:
				return event.Invalid("status", `must be "success", "failure" or "info"`)
			}
		}
		l.req.Filter.Statuses = append(l.req.Filter.Statuses, v...)
		return nil
	}},
	{"level", func(l *listing, v []string) error {
		for _, s := range v {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 3 {
				return event.Invalid("level", "must be 1, 2 or 3")
			}
			l.req.Filter.Levels = append(l.req.Filter.Levels, n)
		}
		return nil
	}},
	{"external_ref", strs(func(l *listing) *[]string { return &filter(l).ExternalRefs })},
	{"context", strs(func(l *listing) *[]string { return &filter(l).Contexts })},
	{"request_id", strs(func(l *listing) *[]string { return &filter(l).RequestIDs })},
	{"session_id", strs(func(l *listing) *[]string { return &filter(l).SessionIDs })},
	{"channel", strs(func(l *listing) *[]string { return &filter(l).Channels })},
	{"source", strs(func(l *listing) *[]string { return &filter(l).Sources })},
	{"actor.type", strs(func(l *listing) *[]string { return &filter(l).ActorTypes })},
	{"actor.id", strs(func(l *listing) *[]string { return &filter(l).ActorIDs })},
	{"actor.email_contains", func(l *listing, v []string) error {
		if len(v) > 1 || v[0] == "" {
			return event.Invalid("actor.email_contains", "must be given once, not empty")
		}
		l.req.Filter.ActorEmailContains = v[0]
		return nil
	}},
	{"subject.type", strs(func(l *listing) *[]string { return &filter(l).SubjectTypes })},
	{"subject.id", strs(func(l *listing) *[]string { return &filter(l).SubjectIDs })},
	{"target", func(l *listing, v []string) error {
		for _, s := range v {
			typ, id, ok := strings.Cut(s, ":")
			if !ok || typ == "" || id == "" {
				return event.Invalid("target", "must be TYPE:ID, like kyc_case:42")
			}
			l.req.Filter.Targets = append(l.req.Filter.Targets, query.TargetRef{Type: typ, ID: id})
		}
		return nil
	}},
	{"target.type", strs(func(l *listing) *[]string { return &filter(l).PrimaryTargetTypes })},
	{"target.id", strs(func(l *listing) *[]string { return &filter(l).PrimaryTargetIDs })},
	{"target.type_prefix", strs(func(l *listing) *[]string { return &filter(l).PrimaryTargetTypePrefixes })},
	{"occurred_at.gte", timeBound("occurred_at.gte", 0, true)},
	{"occurred_at.gt", timeBound("occurred_at.gt", time.Microsecond, true)},
	{"occurred_after", timeBound("occurred_after", time.Microsecond, true)},
	{"occurred_at.lte", timeBound("occurred_at.lte", time.Microsecond, false)},
	{"occurred_at.lt", timeBound("occurred_at.lt", 0, false)},
	{"occurred_before", timeBound("occurred_before", 0, false)},
	{"tenant", strs(func(l *listing) *[]string { return &l.tenants })},
	{"tenant.descendants", func(l *listing, v []string) error {
		b, err := strconv.ParseBool(v[0])
		if err != nil || len(v) > 1 {
			return event.Invalid("tenant.descendants", "must be true or false")
		}
		l.req.TenantSubtrees = b
		return nil
	}},
	{"tenant.kind", strs(func(l *listing) *[]string { return &l.req.TenantKinds })},
	{"tenant.name_contains", func(l *listing, v []string) error {
		if len(v) > 1 || v[0] == "" {
			return event.Invalid("tenant.name_contains", "must be given once, not empty")
		}
		l.req.TenantNameContains = v[0]
		return nil
	}},
}

var sortFields = map[string]query.SortField{
	"occurred_at": query.ByOccurredAt,
	"actor.type":  query.ByActorType,
	"target.type": query.ByTargetType,
	"action_type": query.ByActionType,
}

// timeBound sets the lower (from) or upper (until) time bound; step turns
// an exclusive lower or inclusive upper bound into the store's
// [from, until) form at microsecond precision.
func timeBound(name string, step time.Duration, lower bool) func(*listing, []string) error {
	return func(l *listing, v []string) error {
		if len(v) > 1 {
			return event.Invalid(name, "must be given once")
		}
		t, err := event.ParseTime(v[0])
		if err != nil {
			return event.Invalid(name, "must be an RFC 3339 date-time, like 2024-06-12T09:14:33Z")
		}
		t = t.Truncate(time.Microsecond).Add(step)
		f := &l.req.Filter
		if lower {
			if f.OccurredFrom.IsZero() || t.After(f.OccurredFrom) {
				f.OccurredFrom = t
			}
		} else if f.OccurredUntil.IsZero() || t.Before(f.OccurredUntil) {
			f.OccurredUntil = t
		}
		return nil
	}
}

var listParamIndex = func() map[string]listParam {
	m := map[string]listParam{}
	for _, p := range listParams {
		m[p.name] = p
	}
	return m
}()

// maxParamBytes bounds one parameter value: longer than any stored field.
const maxParamBytes = 4096

// validText says whether a parameter value is text a filter can compare
// (event.ValidText) within the length bound.
func validText(v string) bool {
	return len(v) <= maxParamBytes && event.ValidText(v)
}

// parseList reads GET /v1/events parameters. It returns the tenants named
// (ids or refs) for the caller to resolve.
func parseList(q url.Values) (*query.Request, []string, error) {
	l := &listing{req: &query.Request{Kind: query.Cursor, Limit: 50, Sort: query.Sort{Desc: true}}}
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names) // the first bad parameter is the same on every call
	for _, name := range names {
		vals := q[name]
		if !validText(name) {
			return nil, nil, event.Invalid("query", "parameter names must be UTF-8 text without NUL")
		}
		for _, v := range vals {
			if !validText(v) {
				return nil, nil, event.Invalid(name, "must be UTF-8 text without NUL, at most %d bytes", maxParamBytes)
			}
		}
		if key, ok := strings.CutPrefix(name, LabelParamPrefix); ok {
			if !event.ValidLabelKey(key) {
				return nil, nil, event.Invalid(name, "label key must be 1-64 characters of A-Z a-z 0-9 _ - . :")
			}
			if l.req.Filter.Labels == nil {
				l.req.Filter.Labels = map[string][]string{}
			}
			l.req.Filter.Labels[key] = append(l.req.Filter.Labels[key], vals...)
			continue
		}
		p, ok := listParamIndex[name]
		if !ok {
			return nil, nil, event.Invalid(name, "is not a known parameter")
		}
		if err := p.apply(l, vals); err != nil {
			return nil, nil, err
		}
	}
	// An empty time range is a valid question with an empty answer.
	return l.req, l.tenants, nil
}
