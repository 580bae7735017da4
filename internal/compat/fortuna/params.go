package fortuna

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/query"
)

// Page bounds. The page number is bound to a 32-bit integer as an ASP.NET
// int parameter is; a larger number is a malformed value, not a far page.
const (
	defaultPageSize = 50
	maxPageSize     = 500
	maxPage         = math.MaxInt32
)

// Parameter names as the vendor documents them; errors are keyed by these.
const (
	pExternalReference = "externalReference"
	pFrom              = "from"
	pTo                = "to"
	pCategory          = "category"
	pOperation         = "operation"
	pPage              = "page"
	pPageSize          = "pageSize"
)

// knownParams are the parameters the route takes, each once. Names ignore
// case, as ASP.NET Core's model binding matches them.
var knownParams = dialect.Params{Fold: true, Known: []dialect.Param{
	{Name: pExternalReference}, {Name: pFrom}, {Name: pTo}, {Name: pCategory},
	{Name: pOperation}, {Name: pPage}, {Name: pPageSize},
}}

// params is a validated request.
type params struct {
	ExternalReference string
	From, To          *time.Time // nil when not given
	Category          string     // the table's spelling; "" when not given
	Operation         string     // likewise
	Page, PageSize    int
}

// fieldErrors are validation messages by parameter, as problem details'
// "errors" member carries them.
type fieldErrors map[string][]string

func (fe fieldErrors) add(param, msg string) { fe[param] = append(fe[param], msg) }

// parseParams validates every parameter and reports every problem, as
// ASP.NET's model validation does, rather than stopping at the first. A
// query string that cannot be read strictly (dialect.Params.Parse) is the
// one problem reported: what its parameters hold is unknown.
func parseParams(raw string, lim httpx.QueryLimits) (params, fieldErrors) {
	p := params{Page: 1, PageSize: defaultPageSize}
	errs := fieldErrors{}
	vals, err := knownParams.Parse(raw, lim)
	if err != nil {
		addError(errs, err)
		return p, errs
	}
	q := make(map[string]string, len(vals))
	for name := range vals {
		q[name], _ = vals.One(name)
	}

	// Empty strings bind as "not given" (ASP.NET converts them to null).
	if v := q[pExternalReference]; v != "" {
		if err := dialect.CheckText(pExternalReference, v); err != nil {
			addError(errs, err)
		} else {
			p.ExternalReference = v
		}
	}
	for _, d := range []struct {
		name string
		dst  **time.Time
	}{{pFrom, &p.From}, {pTo, &p.To}} {
		v := q[d.name]
		if strings.TrimSpace(v) == "" {
			continue
		}
		t, ok := parseDateTime(v)
		if !ok {
			errs.add(d.name, "The value "+quote(v)+" is not valid for "+d.name+". Use an ISO 8601 date-time such as 2024-06-12T09:14:33Z.")
			continue
		}
		*d.dst = &t
	}
	if p.From != nil && p.To != nil && p.From.After(*p.To) {
		errs.add(pFrom, "The value of from must be at or before the value of to.")
	}

	var cat category
	if v := strings.TrimSpace(q[pCategory]); v != "" {
		c, ok := lookupCategory(v)
		if ok {
			cat, p.Category = c, c.Name
		} else {
			errs.add(pCategory, "The value "+quote(v)+" is not a known category. Known categories: "+categoryNames()+".")
		}
	}
	if v := strings.TrimSpace(q[pOperation]); v != "" {
		op, opCat, ok := lookupOperation(v)
		switch {
		case !ok:
			errs.add(pOperation, "The value "+quote(v)+" is not a known operation.")
		case p.Category != "" && opCat.Name != cat.Name:
			errs.add(pOperation, "The operation "+quote(op)+" does not belong to the category "+quote(cat.Name)+".")
		default:
			p.Operation = op
			// Operations are unique across categories, so the operation
			// names its category; filtering on both keeps another client's
			// identically named action out.
			p.Category = opCat.Name
		}
	}

	if v, ok := q[pPage]; ok {
		p.Page = parseInt(errs, pPage, v, 1, maxPage)
	}
	if v, ok := q[pPageSize]; ok {
		p.PageSize = parseInt(errs, pPageSize, v, 1, maxPageSize)
	}
	return p, errs
}

// addError adds err, an *event.FieldError, under the parameter it names.
func addError(errs fieldErrors, err error) {
	field := "query"
	var fe *event.FieldError
	if errors.As(err, &fe) && fe.Field != "" {
		field = fe.Field
	}
	errs.add(field, err.Error())
}

// parseInt reads an integer parameter as ASP.NET binds an int: surrounding
// white space and a sign are allowed, anything else is "not valid", and a
// value outside [min, max] fails the range check.
func parseInt(errs fieldErrors, name, v string, min, max int) int {
	t := strings.TrimSpace(v)
	if t == "" {
		errs.add(name, "The value '' is invalid.")
		return min
	}
	n, err := strconv.ParseInt(t, 10, 32)
	if err != nil {
		errs.add(name, "The value "+quote(v)+" is not valid for "+name+".")
		return min
	}
	if n < int64(min) || n > int64(max) {
		errs.add(name, "The field "+name+" must be between "+strconv.Itoa(min)+" and "+strconv.Itoa(max)+".")
		return min
	}
	return int(n)
}

// filter is the store filter the parameters select. Times become the
// store's half-open microsecond range: from is inclusive (rounded up to a
// microsecond), to is inclusive (so the range ends one microsecond after it).
func (p *params) filter() query.Filter {
	var f query.Filter
	if p.ExternalReference != "" {
		f.ExternalRefs = []string{p.ExternalReference}
	}
	if p.Category != "" {
		f.Categories = spellings(p.Category)
	}
	if p.Operation != "" {
		f.Actions = spellings(p.Operation)
	}
	if p.From != nil {
		f.OccurredFrom = dialect.From(*p.From)
	}
	if p.To != nil {
		f.OccurredUntil = dialect.Until(*p.To)
	}
	return f
}

// maxEcho bounds how much of a bad value an error message repeats.
const maxEcho = 100

// quote is v in single quotes, as ASP.NET's messages show values, cut
// short when long.
func quote(v string) string {
	if len(v) > maxEcho {
		cut := maxEcho
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut] + "…"
	}
	return "'" + v + "'"
}
