package auditply

import (
	"math"
	"strconv"

	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// Page bounds. Page numbers stop at a 32-bit integer so an offset can
// never overflow; no case has that many pages.
const (
	defaultPageSize = 25
	maxPageSize     = 100
	maxPage         = math.MaxInt32
)

// params is a validated request.
type params struct {
	CaseID   string // decimal, no leading zeros: how writers store the target id
	Action   string // "" when not given
	Page     int
	PageSize int
}

// paramError is a bad value: the message names the parameter.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

// parseCaseID reads the path's case id: a positive integer, as the
// vendor's ids are. Leading zeros are dropped so /cases/042 is case 42.
func parseCaseID(v string) (string, error) {
	if !allDigits(v) {
		return "", &paramError{"id must be a positive integer"}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return "", &paramError{"id must be a positive integer"}
	}
	return strconv.FormatInt(n, 10), nil
}

// knownParams are the query parameters the vendor documents, each taken
// once. Names are exact, as the vendor documents them.
var knownParams = dialect.Params{Known: []dialect.Param{{Name: "action"}, {Name: "page"}, {Name: "page_size"}}}

// parseParams reads the query string strictly (dialect.Params.Parse).
// Unknown parameters are ignored, so a client that sends its own (a cache
// buster, a tracking id) keeps working. An empty value is a parameter not
// given. A parameter given twice is an error: which value was meant is a
// guess.
func parseParams(raw string, lim httpx.QueryLimits) (params, error) {
	vals, err := knownParams.Parse(raw, lim)
	if err != nil {
		return params{}, &paramError{err.Error()}
	}
	q := map[string]string{}
	for name := range vals {
		q[name], _ = vals.One(name)
	}
	if v := q["action"]; v != "" {
		if err := dialect.CheckText("action", v); err != nil {
			return params{}, &paramError{err.Error()}
		}
	}
	p := params{Page: 1, PageSize: defaultPageSize, Action: q["action"]}
	if v := q["page"]; v != "" {
		if p.Page, err = parseInt("page", v, maxPage); err != nil {
			return params{}, err
		}
	}
	if v := q["page_size"]; v != "" {
		if p.PageSize, err = parseInt("page_size", v, maxPageSize); err != nil {
			return params{}, err
		}
	}
	return p, nil
}

// parseInt reads a page parameter: decimal digits only, 1..max.
func parseInt(name, v string, max int) (int, error) {
	bad := &paramError{name + " must be an integer between 1 and " + strconv.Itoa(max)}
	if !allDigits(v) {
		return 0, bad
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > int64(max) {
		return 0, bad
	}
	return int(n), nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
