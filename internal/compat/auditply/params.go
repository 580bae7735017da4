package auditply

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
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

// paramNames are the query parameters the vendor documents.
var paramNames = []string{"action", "page", "page_size"}

// parseParams reads the query string. Parameter names are exact, as the
// vendor documents them. Unknown parameters are ignored, whatever they
// hold, so a client that sends its own (a cache buster, a tracking id)
// keeps working. An empty value is a parameter not given. A parameter
// given twice is an error: which value was meant is a guess.
func parseParams(raw string) (params, error) {
	q := map[string]string{}
	for pair := range strings.SplitSeq(raw, "&") {
		name, value, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(name)
		if err != nil || !slices.Contains(paramNames, name) {
			continue
		}
		if _, dup := q[name]; dup {
			return params{}, &paramError{name + " must be given at most once"}
		}
		if q[name], err = url.QueryUnescape(value); err != nil {
			return params{}, &paramError{name + " is not valid URL encoding"}
		}
	}
	p := params{Page: 1, PageSize: defaultPageSize, Action: q["action"]}
	var err error
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
