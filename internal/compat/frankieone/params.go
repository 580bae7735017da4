package frankieone

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/auditkeep/auditkeep/internal/compat/dialect"
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
	maxValues    = 100 // values of one array parameter
	maxChannel   = 64  // characters kept of X-Frankie-Channel
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

// parseList reads and validates the headers and query of GET /v2/audit.
// It checks everything before answering, so one 400 lists every problem.
func parseList(r *http.Request) (*listParams, []issueJSON) {
	var is issues
	p := &listParams{desc: true, page: 1, limit: defaultLimit}

	p.customer = strings.TrimSpace(r.Header.Get(headerCustomer))
	if p.customer == "" {
		is.add(headerCustomer, issueRequired, "the %s header is required", headerCustomer)
	}
	p.child = strings.TrimSpace(r.Header.Get(headerChild))
	p.channel = truncateRunes(r.Header.Get(headerChannel), maxChannel)

	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		// A pair that cannot be decoded is refused rather than skipped:
		// skipping a filter would widen the answer.
		is.add("query", issueInvalid, "the query string is malformed: use & between parameters and percent-encode reserved characters")
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
	q  url.Values
	is *issues
}

// values returns the non-empty values of name, also under name[] for the
// array parameters, checked to be text the store can compare.
func (pq paramQuery) values(name string, array bool) []string {
	all := pq.q[name]
	if array {
		all = append(slices.Clone(all), pq.q[name+"[]"]...)
	}
	var out []string
	for _, v := range all {
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

func (pq paramQuery) single(name string) (string, bool) {
	vs := pq.values(name, false)
	switch len(vs) {
	case 0:
		return "", false
	case 1:
		return vs[0], true
	}
	pq.is.add(name, issueInvalid, "%s must be given at most once", name)
	return "", false
}

func (pq paramQuery) list(name string) []string {
	vs := pq.values(name, true)
	if len(vs) > maxValues {
		pq.is.add(name, issueInvalid, "%s must hold at most %d values", name, maxValues)
		return nil
	}
	return dialect.Dedupe(vs)
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
