package httpx

import (
	"net/url"
	"strings"

	"github.com/auditkeep/auditkeep/internal/event"
)

// Default bounds of one query string. A request past them names no filter
// any route takes: every route's parameters, each at its largest, fit well
// inside them.
const (
	DefaultMaxQueryParams = 256
	DefaultMaxQueryBytes  = 16 << 10
)

// QueryLimits bound one query string; a zero field takes its default.
type QueryLimits struct {
	MaxParams int // name=value pairs
	MaxBytes  int // the raw query string, before decoding
}

func (l QueryLimits) withDefaults() QueryLimits {
	if l.MaxParams <= 0 {
		l.MaxParams = DefaultMaxQueryParams
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxQueryBytes
	}
	return l
}

// Param is one decoded name=value pair.
type Param struct {
	Name, Value string
}

// Query is a query string's parameters in the order they were sent,
// repeats included, so that a route can refuse what it does not know or
// takes only once.
type Query []Param

// Values returns the values of name in the order sent.
func (q Query) Values(name string) []string {
	var out []string
	for _, p := range q {
		if p.Name == name {
			out = append(out, p.Value)
		}
	}
	return out
}

// Has reports whether name was sent.
func (q Query) Has(name string) bool {
	for _, p := range q {
		if p.Name == name {
			return true
		}
	}
	return false
}

// Names returns each name once, in the order of first appearance.
func (q Query) Names() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range q {
		if !seen[p.Name] {
			seen[p.Name] = true
			out = append(out, p.Name)
		}
	}
	return out
}

// Grouped returns the values of each name, and the names in the order of
// first appearance.
func (q Query) Grouped() (names []string, values map[string][]string) {
	values = map[string][]string{}
	for _, p := range q {
		if _, ok := values[p.Name]; !ok {
			names = append(names, p.Name)
		}
		values[p.Name] = append(values[p.Name], p.Value)
	}
	return names, values
}

// QueryParam is the field a query-string error names when the fault is the
// query string as a whole (too long), not one parameter of it.
const QueryParam = "query"

// ParseQuery reads a raw query string strictly. net/url.ParseQuery drops a
// pair it cannot decode and, before Go 1.17, split on ';' too: either way a
// filter the client sent can vanish and the answer widen. Here pairs are
// split on '&' only, and a ';' anywhere, a bad percent-escape, a NUL or
// invalid UTF-8 once decoded, an empty name, more pairs than the limit or a
// query longer than it are an error: an *event.FieldError (ErrInvalid)
// whose Field names the offending parameter as decoded, or as sent when it
// cannot be decoded. Empty pairs ("a=1&&b=2", a trailing '&') carry
// nothing and are skipped. '+' is a space, as forms encode it.
func ParseQuery(raw string, lim QueryLimits) (Query, error) {
	lim = lim.withDefaults()
	if len(raw) > lim.MaxBytes {
		return nil, event.Invalid(QueryParam, "the query string is longer than %d bytes", lim.MaxBytes)
	}
	var q Query
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, nameErr := url.QueryUnescape(rawName)
		field := name
		if nameErr != nil || !event.ValidText(name) {
			field = rawName
		}
		if field == "" {
			field = QueryParam
		}
		if len(q) == lim.MaxParams {
			return nil, event.Invalid(field, "is past the limit of %d parameters in one query string", lim.MaxParams)
		}
		if strings.IndexByte(pair, ';') >= 0 {
			return nil, event.Invalid(field, "contains ';': separate parameters with '&' and percent-encode ';' as %%3B in a value")
		}
		if nameErr != nil {
			return nil, event.Invalid(field, "is not valid percent-encoding (a '%%' must start %%XX)")
		}
		if name == "" {
			return nil, event.Invalid(QueryParam, "has a parameter with an empty name")
		}
		if !event.ValidText(name) {
			return nil, event.Invalid(field, "parameter names must be UTF-8 text without NUL")
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, event.Invalid(name, "is not valid percent-encoding (a '%%' must start %%XX)")
		}
		if !event.ValidText(value) {
			return nil, event.Invalid(name, "must be UTF-8 text without NUL")
		}
		q = append(q, Param{Name: name, Value: value})
	}
	return q, nil
}
