package dialect

import (
	"errors"
	"slices"
	"strings"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// Param is one query parameter a dialect takes.
type Param struct {
	// Name is the vendor's spelling; errors name the parameter so.
	Name string
	// Aliases are other names of the same parameter (FrankieOne's
	// "name[]" for an array "name").
	Aliases []string
	// Max is the most values one request may give; 0 means one. A
	// single-valued parameter given twice is refused: which value was
	// meant would be a guess, and keeping one drops the other silently.
	Max int
}

// Params is the set of query parameters a route takes.
type Params struct {
	Known []Param
	// Fold matches names without regard to case, as ASP.NET Core's model
	// binding does.
	Fold bool
}

// Values are the values of the known parameters a request gave, by
// Param.Name, in the order sent.
type Values map[string][]string

// One returns the value of a single-valued parameter and whether it was
// given.
func (v Values) One(name string) (string, bool) {
	vs, ok := v[name]
	if !ok {
		return "", false
	}
	return vs[0], true
}

// Parse reads a raw query string strictly (httpx.ParseQuery): a ';', a bad
// escape, NUL or invalid UTF-8, too many parameters or bytes are refused
// whichever parameter holds them, since a pair that cannot be read may be
// a known one. Unknown parameters are otherwise ignored, as each vendor's
// framework ignores them, so a client's own (a cache buster) keeps
// working. The error is an *event.FieldError naming the parameter by its
// Name when it is a known one.
func (ps *Params) Parse(raw string, lim httpx.QueryLimits) (Values, error) {
	q, err := httpx.ParseQuery(raw, lim)
	if err != nil {
		var fe *event.FieldError
		if errors.As(err, &fe) {
			if p := ps.lookup(fe.Field); p != nil {
				return nil, event.Invalid(p.Name, "%s", fe.Message)
			}
		}
		return nil, err
	}
	out := Values{}
	for _, qp := range q {
		p := ps.lookup(qp.Name)
		if p == nil {
			continue
		}
		n := len(out[p.Name])
		switch {
		case p.Max <= 1 && n == 1:
			return nil, event.Invalid(p.Name, "must be given once")
		case n == p.Max && p.Max > 1:
			return nil, event.Invalid(p.Name, "takes at most %d values in one request", p.Max)
		}
		out[p.Name] = append(out[p.Name], qp.Value)
	}
	return out, nil
}

// lookup returns the known parameter called name, or nil.
func (ps *Params) lookup(name string) *Param {
	for i := range ps.Known {
		p := &ps.Known[i]
		if ps.match(p.Name, name) || slices.ContainsFunc(p.Aliases, func(a string) bool { return ps.match(a, name) }) {
			return p
		}
	}
	return nil
}

func (ps *Params) match(known, sent string) bool {
	if ps.Fold {
		return strings.EqualFold(known, sent)
	}
	return known == sent
}

// CheckText refuses a text value the store could not compare or that is
// longer than MaxValueBytes, naming the parameter: the one check every
// dialect text parameter goes through.
func CheckText(name, v string) error {
	if !ValidText(v) {
		return event.Invalid(name, "must be UTF-8 text of at most %d bytes without NUL characters", MaxValueBytes)
	}
	return nil
}
