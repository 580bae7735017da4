package httpapi

import (
	"net/http"
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
	q, err := httpx.ParseQuery(r.URL.RawQuery, s.cfg.Query)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, tenants, err := parseList(q)
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
	name string
	// multi marks a filter that takes several values (any of them, or
	// for target all of them); the others are given once.
	multi bool
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
	{"limit", false, func(l *listing, v []string) error {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > query.MaxLimit || len(v) > 1 {
			return event.Invalid("limit", "must be one integer from 1 to %d", query.MaxLimit)
		}
		l.req.Limit = n
		return nil
	}},
	{"cursor", false, func(l *listing, v []string) error {
		if len(v) > 1 {
			return event.Invalid("cursor", "must be given once")
		}
		l.req.Cursor = v[0]
		return nil
	}},
	{"count", false, func(l *listing, v []string) error {
		if len(v) > 1 || v[0] != "exact" {
			return event.Invalid("count", `must be "exact"`)
		}
		l.req.Total = true
		return nil
	}},
	{"sort", false, func(l *listing, v []string) error {
		f, ok := sortFields[v[0]]
		if !ok || len(v) > 1 {
			return event.Invalid("sort", "must be one of occurred_at, actor.type, target.type, action_type")
		}
		l.req.Sort.Field = f
		return nil
	}},
	{"order", false, func(l *listing, v []string) error {
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
	{"id", true, func(l *listing, v []string) error {
		for _, s := range v {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 1 {
				return event.Invalid("id", "must be a positive integer")
			}
			l.req.Filter.IDs = append(l.req.Filter.IDs, n)
		}
		return nil
	}},
	{"uuid", true, func(l *listing, v []string) error {
		for _, s := range v {
			u, err := uuid.Parse(s)
			if err != nil || len(s) != 36 {
				return event.Invalid("uuid", "must be a UUID")
			}
			l.req.Filter.UUIDs = append(l.req.Filter.UUIDs, u)
		}
		return nil
	}},
	{"category", true, strs(func(l *listing) *[]string { return &filter(l).Categories })},
	{"action", true, strs(func(l *listing) *[]string { return &filter(l).Actions })},
	{"action_prefix", true, strs(func(l *listing) *[]string { return &filter(l).ActionPrefixes })},
	{"action_type", true, func(l *listing, v []string) error {
		for _, s := range v {
			if s != string(event.Active) && s != string(event.Passive) {
				return event.Invalid("action_type", `must be "active" or "passive"`)
			}
		}
		l.req.Filter.ActionTypes = append(l.req.Filter.ActionTypes, v...)
		return nil
	}},
	{"status", true, func(l *listing, v []string) error {
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
	{"level", true, func(l *listing, v []string) error {
		for _, s := range v {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 3 {
				return event.Invalid("level", "must be 1, 2 or 3")
			}
			l.req.Filter.Levels = append(l.req.Filter.Levels, n)
		}
		return nil
	}},
	{"external_ref", true, strs(func(l *listing) *[]string { return &filter(l).ExternalRefs })},
	{"context", true, strs(func(l *listing) *[]string { return &filter(l).Contexts })},
	{"request_id", true, strs(func(l *listing) *[]string { return &filter(l).RequestIDs })},
	{"session_id", true, strs(func(l *listing) *[]string { return &filter(l).SessionIDs })},
	{"channel", true, strs(func(l *listing) *[]string { return &filter(l).Channels })},
	{"source", true, strs(func(l *listing) *[]string { return &filter(l).Sources })},
	{"actor.type", true, strs(func(l *listing) *[]string { return &filter(l).ActorTypes })},
	{"actor.id", true, strs(func(l *listing) *[]string { return &filter(l).ActorIDs })},
	{"actor.email_contains", false, func(l *listing, v []string) error {
		if len(v) > 1 || v[0] == "" {
			return event.Invalid("actor.email_contains", "must be given once, not empty")
		}
		l.req.Filter.ActorEmailContains = v[0]
		return nil
	}},
	{"subject.type", true, strs(func(l *listing) *[]string { return &filter(l).SubjectTypes })},
	{"subject.id", true, strs(func(l *listing) *[]string { return &filter(l).SubjectIDs })},
	{"target", true, func(l *listing, v []string) error {
		for _, s := range v {
			typ, id, ok := strings.Cut(s, ":")
			if !ok || typ == "" || id == "" {
				return event.Invalid("target", "must be TYPE:ID, like kyc_case:42")
			}
			l.req.Filter.Targets = append(l.req.Filter.Targets, query.TargetRef{Type: typ, ID: id})
		}
		return nil
	}},
	{"target.type", true, strs(func(l *listing) *[]string { return &filter(l).PrimaryTargetTypes })},
	{"target.id", true, strs(func(l *listing) *[]string { return &filter(l).PrimaryTargetIDs })},
	{"target.type_prefix", true, strs(func(l *listing) *[]string { return &filter(l).PrimaryTargetTypePrefixes })},
	{"occurred_at.gte", false, timeBound("occurred_at.gte", 0, true)},
	{"occurred_at.gt", false, timeBound("occurred_at.gt", time.Microsecond, true)},
	{"occurred_after", false, timeBound("occurred_after", time.Microsecond, true)},
	{"occurred_at.lte", false, timeBound("occurred_at.lte", time.Microsecond, false)},
	{"occurred_at.lt", false, timeBound("occurred_at.lt", 0, false)},
	{"occurred_before", false, timeBound("occurred_before", 0, false)},
	{"tenant", true, strs(func(l *listing) *[]string { return &l.tenants })},
	{"tenant.descendants", false, func(l *listing, v []string) error {
		b, err := strconv.ParseBool(v[0])
		if err != nil || len(v) > 1 {
			return event.Invalid("tenant.descendants", "must be true or false")
		}
		l.req.TenantSubtrees = b
		return nil
	}},
	{"tenant.kind", true, strs(func(l *listing) *[]string { return &l.req.TenantKinds })},
	{"tenant.name_contains", false, func(l *listing, v []string) error {
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

// parseList reads GET /v1/events parameters. It returns the tenants named
// (ids or refs) for the caller to resolve. The first bad parameter in the
// order sent is the one named.
func parseList(q httpx.Query) (*query.Request, []string, error) {
	l := &listing{req: &query.Request{Kind: query.Cursor, Limit: 50, Sort: query.Sort{Desc: true}}}
	names, values := q.Grouped()
	filters, labels, labelKeys, prefixes := 0, 0, 0, 0
	for _, name := range names {
		vals := values[name]
		for _, v := range vals {
			if len(v) > maxParamBytes {
				return nil, nil, event.Invalid(name, "must be at most %d bytes", maxParamBytes)
			}
		}
		if key, ok := strings.CutPrefix(name, LabelParamPrefix); ok {
			if !event.ValidLabelKey(key) {
				return nil, nil, event.Invalid(name, "label key must be 1-64 characters of A-Z a-z 0-9 _ - . :")
			}
			if labelKeys++; labelKeys > httpx.MaxLabelKeys {
				return nil, nil, event.Invalid(name, "is past the limit of %d label keys in one request", httpx.MaxLabelKeys)
			}
			if labels += len(vals); labels > httpx.MaxLabelValues {
				return nil, nil, event.Invalid(name, "is past the limit of %d label values in one request, every label key together", httpx.MaxLabelValues)
			}
			if filters += len(vals); filters > httpx.MaxFilters {
				return nil, nil, event.Invalid(name, "is past the limit of %d filter values in one request", httpx.MaxFilters)
			}
			if l.req.Filter.Labels == nil {
				l.req.Filter.Labels = map[string][]string{}
			}
			l.req.Filter.Labels[key] = vals
			continue
		}
		p, ok := listParamIndex[name]
		if !ok {
			return nil, nil, event.Invalid(name, "is not a known parameter")
		}
		switch max := maxValues(name); {
		case !p.multi && len(vals) > 1:
			return nil, nil, event.Invalid(name, "must be given once")
		case p.multi && len(vals) > max:
			return nil, nil, event.Invalid(name, "takes at most %d values in one request", max)
		}
		if name == "action_prefix" || name == "target.type_prefix" {
			if prefixes += len(vals); prefixes > httpx.MaxPrefixes {
				return nil, nil, event.Invalid(name, "is past the limit of %d prefix values in one request, action_prefix and target.type_prefix together", httpx.MaxPrefixes)
			}
		}
		if isFilter(name) {
			if filters += len(vals); filters > httpx.MaxFilters {
				return nil, nil, event.Invalid(name, "is past the limit of %d filter values in one request", httpx.MaxFilters)
			}
		}
		if err := p.apply(l, vals); err != nil {
			return nil, nil, err
		}
	}
	// An empty time range is a valid question with an empty answer.
	return l.req, l.tenants, nil
}

// maxValues is how many values the multi-valued parameter name takes.
func maxValues(name string) int {
	switch name {
	case "target":
		return httpx.MaxTargets
	case "action_prefix", "target.type_prefix":
		return httpx.MaxPrefixes
	}
	return httpx.MaxFilterValues
}

// isFilter says whether name selects events (as opposed to paging them).
func isFilter(name string) bool {
	switch name {
	case "limit", "cursor", "count", "sort", "order":
		return false
	}
	return true
}
