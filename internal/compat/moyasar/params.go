package moyasar

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/query"
)

// Limits on parameters. maxItems is the vendor's; maxPage is ours and
// keeps numbers in range (dialect.MaxValueBytes bounds each value).
const (
	defaultItems = 25
	maxItems     = 100
	maxPage      = math.MaxInt32
)

// The vendor's enums.
var (
	performerTypes    = []string{"AcquirerUser", "MerchantUser", "StaffUser", "ApiKey", "AcquirerApiKey"}
	organizationTypes = []string{"Acquirer", "Merchant"}
	actionTypes       = []string{"active", "passive"}
	sortDirs          = []string{"asc", "desc"}
)

// sortFields maps sort[field] to the engine's sort.
var sortFields = map[string]query.SortField{
	"performer_type": query.ByActorType,
	"subject_type":   query.ByTargetType,
	"action_type":    query.ByActionType,
	"created_at":     query.ByOccurredAt,
}

var sortFieldNames = []string{"performer_type", "subject_type", "action_type", "created_at"}

// tenantKinds maps organization_type to the tenant kind it selects.
var tenantKinds = map[string]string{"Acquirer": "acquirer", "Merchant": "merchant"}

// paramErrors collects messages per parameter, Rails style.
type paramErrors map[string][]string

func (pe paramErrors) add(name, msg string) { pe[name] = append(pe[name], msg) }

// knownParams are the parameters of GET /v1/audit_logs, each taken once.
var knownParams = dialect.Params{Known: []dialect.Param{
	{Name: "page"}, {Name: "items"},
	{Name: "performer_id"}, {Name: "performer_type"}, {Name: "performer_email"},
	{Name: "subject_type"}, {Name: "subject_id"},
	{Name: "organization_type"}, {Name: "organization_name"},
	{Name: "action_type"}, {Name: "action_name"},
	{Name: "created_at[gte]"}, {Name: "created_at[lte]"},
	{Name: "sort[field]"}, {Name: "sort[dir]"},
}}

// noParams is the parameter set of the routes that take none
// (GET /v1/audit_logs/{id}, /v1/audit_logs/subjects).
var noParams = dialect.Params{}

// parseNone reads the query string of a route that takes no parameters:
// unknown ones are ignored as Rails ignores them, but one that cannot be
// read strictly is refused as on every other route.
func parseNone(rawQuery string, lim httpx.QueryLimits) paramErrors {
	if _, err := noParams.Parse(rawQuery, lim); err != nil {
		return unreadable(err)
	}
	return nil
}

// unreadable names the problem of a query string that cannot be read.
func unreadable(err error) paramErrors {
	field, msg := "query", err.Error()
	var fe *event.FieldError
	if errors.As(err, &fe) {
		if fe.Field != "" {
			field = fe.Field
		}
		msg = fe.Message
	}
	return paramErrors{field: {msg}}
}

// parseList reads GET /v1/audit_logs parameters into an engine request
// scoped to the key's tenants. Every problem is collected so one 422 names
// them all, but for a query string that cannot be read strictly
// (dialect.Params.Parse), the one problem named. An empty value counts as
// absent; unknown parameters are ignored, as Rails ignores them; a known
// one given twice is refused, where Rails would keep the last silently.
func parseList(rawQuery string, lim httpx.QueryLimits, scope []uuid.UUID) (*query.Request, paramErrors) {
	pe := paramErrors{}
	req := &query.Request{
		Scope: scope, Kind: query.Offset, Page: 1, Limit: defaultItems,
		Sort: query.Sort{Field: query.ByOccurredAt, Desc: true},
	}
	q, err := knownParams.Parse(rawQuery, lim)
	if err != nil {
		// The pair that cannot be read may be a known one: skipping it
		// would widen the answer.
		return req, unreadable(err)
	}
	get := func(name string) (string, bool) {
		v, ok := q.One(name)
		switch {
		case !ok || v == "":
			return "", false
		case !dialect.ValidText(v):
			pe.add(name, "must be UTF-8 text of at most "+strconv.Itoa(dialect.MaxValueBytes)+" bytes without NUL characters")
			return "", false
		}
		return v, true
	}
	oneOf := func(name string, allowed []string) (string, bool) {
		v, ok := get(name)
		if ok && !slices.Contains(allowed, v) {
			pe.add(name, "is not included in the list: "+strings.Join(allowed, ", "))
			return "", false
		}
		return v, ok
	}
	integer := func(name string, lo, hi int) (int, bool) {
		v, ok := get(name)
		if !ok {
			return 0, false
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			pe.add(name, "must be an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
			return 0, false
		}
		return n, true
	}
	uuidParam := func(name string) ([]string, bool) {
		v, ok := get(name)
		if !ok {
			return nil, false
		}
		u, err := uuid.Parse(v)
		if err != nil || len(v) != 36 {
			pe.add(name, "must be a UUID like 0191f5a7-3d99-7f81-b7ec-962a5f5fdd7c")
			return nil, false
		}
		// Ids are stored as their writers sent them; match the spelling
		// given and the canonical lower-case one.
		return dialect.Dedupe([]string{v, u.String()}), true
	}

	f := &req.Filter
	if n, ok := integer("page", 1, maxPage); ok {
		req.Page = n
	}
	if n, ok := integer("items", 1, maxItems); ok {
		req.Limit = n
	}
	if ids, ok := uuidParam("performer_id"); ok {
		f.ActorIDs = ids
	}
	if v, ok := oneOf("performer_type", performerTypes); ok {
		f.ActorTypes = []string{v}
	}
	if v, ok := get("performer_email"); ok {
		f.ActorEmailContains = v
	}
	if v, ok := get("subject_type"); ok {
		f.PrimaryTargetTypePrefixes = []string{v}
	}
	if ids, ok := uuidParam("subject_id"); ok {
		f.PrimaryTargetIDs = ids
	}
	if v, ok := oneOf("organization_type", organizationTypes); ok {
		req.TenantKinds = []string{tenantKinds[v]}
	}
	if v, ok := get("organization_name"); ok {
		req.TenantNameContains = v
	}
	if v, ok := oneOf("action_type", actionTypes); ok {
		f.ActionTypes = []string{v}
	}
	if v, ok := get("action_name"); ok {
		f.ActionPrefixes = []string{v}
	}
	if t, ok := timeBound(get, pe, "created_at[gte]", false); ok {
		f.OccurredFrom = t
	}
	if t, ok := timeBound(get, pe, "created_at[lte]", true); ok {
		f.OccurredUntil = t
	}
	if v, ok := oneOf("sort[field]", sortFieldNames); ok {
		req.Sort.Field = sortFields[v]
	}
	if v, ok := oneOf("sort[dir]", sortDirs); ok {
		req.Sort.Desc = v == "desc"
	}
	return req, pe
}

// timeBound reads an inclusive bound: an RFC 3339 date-time, or a date
// meaning the whole UTC day. It returns the engine's bound, inclusive for
// the lower one and exclusive for the upper one (end), in the whole
// microseconds events are stored with.
func timeBound(get func(string) (string, bool), pe paramErrors, name string, end bool) (time.Time, bool) {
	v, ok := get(name)
	if !ok {
		return time.Time{}, false
	}
	t, ok := dialect.ParseBound(v, end)
	if !ok {
		pe.add(name, "must be an ISO 8601 date-time with a time zone, like 2025-01-15T14:30:00Z")
	}
	return t, ok
}
