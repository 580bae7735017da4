package frankieone

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/query"
)

// The request headers FrankieOne defines.
const (
	headerKey      = "api_key"
	headerCustomer = "X-Frankie-CustomerID"
	headerChild    = "X-Frankie-CustomerChildID"
	headerChannel  = "X-Frankie-Channel"
)

// Limits on parameters (ours). maxLimit is the vendor's page size bound;
// the others keep one request's SQL small and its numbers in range.
const (
	defaultLimit = 20
	maxLimit     = 100
	maxPage      = math.MaxInt32
	maxValues    = httpx.MaxFilterValues // values of one array parameter
	maxChannel   = 64                    // characters kept of X-Frankie-Channel
)

// listParams is a validated GET /v2/audit request.
type listParams struct {
	customer string
	child    string
	// channel is X-Frankie-Channel, truncated: accepted for compatibility,
	// noted in the server log, otherwise unused.
	channel string
	filter  query.Filter
	desc    bool
	page    int
	limit   int
}

// issues collects every problem of a request, in the order found.
type issues []issueJSON

func (is *issues) add(location, typ, format string, args ...any) {
	*is = append(*is, issueJSON{Issue: fmt.Sprintf(format, args...), IssueLocation: "VALIDATE-" + location, IssueType: typ})
}

// Parameters of GET /v2/audit. Arrays repeat the key, also spelt "name[]";
// the others are taken once.
var knownParams = dialect.Params{Known: []dialect.Param{
	{Name: "entityId"}, {Name: "requestId"},
	{Name: "workflowNames", Aliases: []string{"workflowNames[]"}, Max: maxValues},
	{Name: "workflowRiskLevels", Aliases: []string{"workflowRiskLevels[]"}, Max: maxValues},
	{Name: "sources", Aliases: []string{"sources[]"}, Max: maxValues},
	{Name: "channels", Aliases: []string{"channels[]"}, Max: maxValues},
	{Name: "afterTimestamp"}, {Name: "beforeTimestamp"},
	{Name: "sort"}, {Name: "sortFields", Aliases: []string{"sortFields[]"}, Max: maxValues},
	{Name: "page"}, {Name: "limit"},
}}

// labelParams are the arrays that filter on labels, and filterParams
// every parameter that selects events, in the order their counts are
// checked.
var (
	labelParams  = []string{"workflowNames", "workflowRiskLevels"}
	filterParams = []string{"entityId", "requestId", "workflowNames", "workflowRiskLevels", "sources", "channels", "afterTimestamp", "beforeTimestamp"}
)

// filterCounts checks the bounds of one request's filters, the native
// API's: at most httpx.MaxLabelValues label values together and
// httpx.MaxFilters filter values in all, empty values not counted. It
// returns the parameter that passes a bound and why, or "".
func filterCounts(q dialect.Values) (location, msg string) {
	labels, filters := 0, 0
	for _, name := range filterParams {
		n := 0
		for _, v := range q[name] {
			if v != "" {
				n++
			}
		}
		if slices.Contains(labelParams, name) {
			if labels += n; labels > httpx.MaxLabelValues {
				return name, fmt.Sprintf("workflowNames and workflowRiskLevels must hold at most %d values together", httpx.MaxLabelValues)
			}
		}
		if filters += n; filters > httpx.MaxFilters {
			return name, fmt.Sprintf("a request must hold at most %d filter values in all", httpx.MaxFilters)
		}
	}
	return "", ""
}

// parseList reads and validates the headers and query of GET /v2/audit.
// It checks everything before answering, so one 400 lists every problem,
// but for a query string that cannot be read strictly or passes a filter
// bound: what it would select is unknown, so that is the one problem.
func parseList(r *http.Request, lim httpx.QueryLimits) (*listParams, []issueJSON) {
	var is issues
	p := &listParams{desc: true, page: 1, limit: defaultLimit}

	p.customer = strings.TrimSpace(r.Header.Get(headerCustomer))
	if p.customer == "" {
		is.add(headerCustomer, issueRequired, "the %s header is required", headerCustomer)
	}
	p.child = strings.TrimSpace(r.Header.Get(headerChild))
	p.channel = truncateRunes(r.Header.Get(headerChannel), maxChannel)

	q, err := knownParams.Parse(r.URL.RawQuery, lim)
	if err != nil {
		// A pair that cannot be read is refused rather than skipped:
		// skipping a filter would widen the answer. What the rest of the
		// string holds is unknown, so this is the one issue.
		location, msg := "query", err.Error()
		var fe *event.FieldError
		if errors.As(err, &fe) && fe.Field != "" {
			location = fe.Field
		}
		is.add(location, issueInvalid, "%s", msg)
		return p, is
	}
	if location, msg := filterCounts(q); location != "" {
		is.add(location, issueInvalid, "%s", msg)
		return p, is
	}
	pq := paramQuery{q: q, is: &is}

	if v, ok := pq.single("entityId"); ok {
		p.filter.SubjectIDs = []string{v}
	}
	if vs := pq.list("workflowNames"); len(vs) > 0 {
		p.addLabel("workflow_name", vs)
	}
	if vs := pq.enumList("workflowRiskLevels", riskLevels); len(vs) > 0 {
		p.addLabel("risk_level", vs)
	}
	if vs := pq.list("sources"); len(vs) > 0 {
		// An event stored without a source is shown with the default one,
		// so asking for the default finds it too.
		if slices.Contains(vs, defaultSource) {
			vs = append(vs, "")
		}
		p.filter.Sources = vs
	}
	if v, ok := pq.single("requestId"); ok {
		p.filter.RequestIDs = []string{v}
	}
	from, fromOK := pq.timestamp("afterTimestamp", false)
	until, untilOK := pq.timestamp("beforeTimestamp", true)
	if fromOK && untilOK && !from.Before(until) {
		is.add("beforeTimestamp", issueInvalid, "beforeTimestamp must not be earlier than afterTimestamp")
	}
	p.filter.OccurredFrom, p.filter.OccurredUntil = from, until
	if vs := pq.enumList("channels", channels); len(vs) > 0 {
		// Events stored without a channel are shown as SYSTEM.
		if slices.Contains(vs, defaultChannel) {
			vs = append(vs, "")
		}
		p.filter.Channels = vs
	}
	if v, ok := pq.single("sort"); ok {
		if sortOrders.has(v) {
			p.desc = v == "desc"
		} else {
			is.add("sort", issueInvalid, "sort must be one of: %s", strings.Join(sortOrders, ", "))
		}
	}
	// timestamp is the only sort field, so a valid list changes nothing.
	pq.enumList("sortFields", sortFields)
	if n, ok := pq.integer("page", 1, maxPage); ok {
		p.page = n
	}
	if n, ok := pq.integer("limit", 1, maxLimit); ok {
		p.limit = n
	}
	return p, is
}

func (p *listParams) addLabel(key string, values []string) {
	if p.filter.Labels == nil {
		p.filter.Labels = map[string][]string{}
	}
	p.filter.Labels[key] = values
}

// paramQuery reads parameters from a parsed query, noting problems. An
// empty value counts as absent: clients often send optional parameters
// empty.
type paramQuery struct {
	q  dialect.Values
	is *issues
}

// values returns the non-empty values of name (of name[] too, for the
// arrays), checked to be text the store can compare.
func (pq paramQuery) values(name string) []string {
	var out []string
	for _, v := range pq.q[name] {
		if v == "" {
			continue
		}
		if !dialect.ValidText(v) {
			pq.is.add(name, issueInvalid, "%s must be UTF-8 text of at most %d bytes without NUL characters", name, dialect.MaxValueBytes)
			return nil
		}
		out = append(out, v)
	}
	return out
}

// single returns the value of a parameter taken once (Parse refused a
// repeat).
func (pq paramQuery) single(name string) (string, bool) {
	vs := pq.values(name)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

func (pq paramQuery) list(name string) []string {
	return dialect.Dedupe(pq.values(name))
}

func (pq paramQuery) enumList(name string, allowed enum) []string {
	vs := pq.list(name)
	for _, v := range vs {
		if !allowed.has(v) {
			pq.is.add(name, issueInvalid, "%s values must be among: %s", name, strings.Join(allowed, ", "))
			return nil
		}
	}
	return vs
}

func (pq paramQuery) integer(name string, lo, hi int) (int, bool) {
	v, ok := pq.single(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		pq.is.add(name, issueInvalid, "%s must be an integer from %d to %d", name, lo, hi)
		return 0, false
	}
	return n, true
}

// timestamp reads an inclusive time bound: a date (a whole UTC day) or an
// RFC 3339 date-time. It returns the engine's bound: inclusive for the
// lower one, exclusive for the upper one (end), in whole microseconds, the
// precision events are stored with (see dialect.ParseBound).
func (pq paramQuery) timestamp(name string, end bool) (time.Time, bool) {
	v, ok := pq.single(name)
	if !ok {
		return time.Time{}, false
	}
	t, ok := dialect.ParseBound(v, end)
	if !ok {
		pq.is.add(name, issueInvalid, "%s must be a date (2024-06-12) or an RFC 3339 date-time (2024-06-12T09:14:33Z)", name)
	}
	return t, ok
}

// truncateRunes keeps the first n characters of s.
func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}
