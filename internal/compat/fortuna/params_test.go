package fortuna_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// paramEvents is the data set of the parameter table, oldest first. The
// stored spellings vary on purpose: the vendor's casing, all upper case,
// all lower case, and another client's action that shares a name with a
// Pep operation but has no category.
var paramEvents = []compattest.NamedEvent{
	{Name: "c1", Event: map[string]any{"occurred_at": "2024-06-10T08:00:00Z", "category": "Cpr", "action": "lookup", "external_ref": "cust-1", "context": "kyc-onboarding"}},
	{Name: "c2", Event: map[string]any{"occurred_at": "2024-06-11T08:00:00.5Z", "category": "Cpr", "action": "validate", "external_ref": "cust-1"}},
	{Name: "r1", Event: map[string]any{"occurred_at": "2024-06-12T09:14:33Z", "category": "Rofus", "action": "evaluation", "external_ref": "cust-2"}},
	{Name: "r2", Event: map[string]any{"occurred_at": "2024-06-12T10:00:00Z", "category": "ROFUS", "action": "GAMBLER_CHECK", "external_ref": "cust-2"}},
	{Name: "i1", Event: map[string]any{"occurred_at": "2024-06-13T00:00:00Z", "category": "identity", "action": "start", "external_ref": "cust-3"}},
	{Name: "o1", Event: map[string]any{"occurred_at": "2024-06-14T00:00:00Z", "category": "Other", "action": "note"}},
	{Name: "x1", Event: map[string]any{"occurred_at": "2024-06-15T00:00:00Z", "action": "check"}},
}

var allNewestFirst = []string{"x1", "o1", "i1", "r2", "r1", "c2", "c1"}

func TestParameters(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		tn := s.Tenant("Casino C", "operator", "casino-c", uuid.Nil)
		writer, reader := s.Key(tn.ID, "events:write"), s.Key(tn.ID, "events:read")
		kycOnly := s.Key(tn.ID, "kyc:read")
		n := compattest.IngestNamed(s, writer, paramEvents)

		viaKey := []string{"X-Api-Key", reader}
		tests := []struct {
			name     string
			query    string
			headers  []string // default: the reader's key in X-Api-Key
			status   int
			want     []string // names, newest first (200)
			page     int      // expected echo; 0 means the default 1
			pageSize int      // expected echo; 0 means the default 50
			errs     []string // parameters named in "errors" (400)
		}{
			// Defaults and paging.
			{name: "defaults", status: 200, want: allNewestFirst},
			{name: "page 1", query: "page=1", status: 200, want: allNewestFirst},
			{name: "page 2 of 3", query: "page=2&pageSize=3", status: 200, want: []string{"r2", "r1", "c2"}, page: 2, pageSize: 3},
			{name: "last page", query: "page=3&pageSize=3", status: 200, want: []string{"c1"}, page: 3, pageSize: 3},
			{name: "page past the end", query: "page=4&pageSize=3", status: 200, want: []string{}, page: 4, pageSize: 3},
			{name: "largest page", query: "page=2147483647", status: 200, want: []string{}, page: 2147483647},
			{name: "page with white space and plus", query: "page=+2&pageSize=%203%20", status: 200, want: []string{"r2", "r1", "c2"}, page: 2, pageSize: 3},
			{name: "page 0", query: "page=0", status: 400, errs: []string{"page"}},
			{name: "page negative", query: "page=-1", status: 400, errs: []string{"page"}},
			{name: "page above int32", query: "page=2147483648", status: 400, errs: []string{"page"}},
			{name: "page not a number", query: "page=abc", status: 400, errs: []string{"page"}},
			{name: "page decimal", query: "page=1.0", status: 400, errs: []string{"page"}},
			{name: "page empty", query: "page=", status: 400, errs: []string{"page"}},
			{name: "pageSize 1", query: "pageSize=1", status: 200, want: []string{"x1"}, pageSize: 1},
			{name: "pageSize 500", query: "pageSize=500", status: 200, want: allNewestFirst, pageSize: 500},
			{name: "pageSize 0", query: "pageSize=0", status: 400, errs: []string{"pageSize"}},
			{name: "pageSize 501", query: "pageSize=501", status: 400, errs: []string{"pageSize"}},
			{name: "pageSize huge", query: "pageSize=99999999999999999999", status: 400, errs: []string{"pageSize"}},
			{name: "pageSize not a number", query: "pageSize=x", status: 400, errs: []string{"pageSize"}},
			{name: "pageSize empty", query: "pageSize=", status: 400, errs: []string{"pageSize"}},

			// Names ignore case; a known parameter is given once; unknown
			// parameters are ignored; a query string that cannot be read
			// strictly is refused, naming the parameter.
			{name: "name in upper case", query: "PAGESIZE=2", status: 200, want: []string{"x1", "o1"}, pageSize: 2},
			{name: "repeated", query: "pagesize=2&pageSize=3", status: 400, errs: []string{"pageSize"}},
			{name: "repeated: later bad value", query: "pageSize=2&pageSize=abc", status: 400, errs: []string{"pageSize"}},
			{name: "repeated empty", query: "category=&category=Cpr", status: 400, errs: []string{"category"}},
			{name: "repeated externalReference", query: "externalReference=cust-1&EXTERNALREFERENCE=cust-2", status: 400, errs: []string{"externalReference"}},
			{name: "unknown parameters", query: "colour=red&page[size]=9&sort=asc&sort=desc", status: 200, want: allNewestFirst},
			{name: "semicolon", query: "externalReference=cust-1;page=2", status: 400, errs: []string{"externalReference"}},
			{name: "semicolon after an unknown parameter", query: "colour=red;externalReference=cust-1", status: 400, errs: []string{"colour"}},
			{name: "bad escape in a value", query: "externalReference=%zz", status: 400, errs: []string{"externalReference"}},
			{name: "bad escape in a name", query: "Operation%zz=lookup", status: 400, errs: []string{"Operation%zz"}},
			{name: "bad escape in an unknown parameter", query: "%zz=1", status: 400, errs: []string{"%zz"}},
			{name: "NUL in a name", query: "page%00=1", status: 400, errs: []string{"page%00"}},
			{name: "too many parameters", query: strings.Repeat("x=1&", 256) + "page=2", status: 400, errs: []string{"page"}},
			{name: "query too long", query: "colour=" + strings.Repeat("r", 16<<10), status: 400, errs: []string{"query"}},

			// externalReference: exact.
			{name: "externalReference", query: "externalReference=cust-1", status: 200, want: []string{"c2", "c1"}},
			{name: "externalReference is case-sensitive", query: "externalReference=CUST-1", status: 200, want: []string{}},
			{name: "externalReference empty", query: "externalReference=", status: 200, want: allNewestFirst},
			{name: "externalReference unknown", query: "externalReference=nobody", status: 200, want: []string{}},
			{name: "externalReference at its bound", query: "externalReference=" + strings.Repeat("r", 1024), status: 200, want: []string{}},
			{name: "externalReference too long", query: "externalReference=" + strings.Repeat("r", 1025), status: 400, errs: []string{"externalReference"}},
			{name: "externalReference invalid UTF-8", query: "externalReference=cust%ff", status: 400, errs: []string{"externalReference"}},
			{name: "externalReference lone surrogate", query: "externalReference=%ED%A0%80", status: 400, errs: []string{"externalReference"}},
			{name: "externalReference NUL", query: "externalReference=cust-1%00", status: 400, errs: []string{"externalReference"}},

			// from and to: inclusive, ISO 8601.
			{name: "from inclusive", query: "from=2024-06-12T09:14:33Z", status: 200, want: []string{"x1", "o1", "i1", "r2", "r1"}},
			{name: "from a microsecond later", query: "from=2024-06-12T09:14:33.000001Z", status: 200, want: []string{"x1", "o1", "i1", "r2"}},
			{name: "from a nanosecond later", query: "from=2024-06-12T09:14:33.000000001Z", status: 200, want: []string{"x1", "o1", "i1", "r2"}},
			{name: "to inclusive", query: "to=2024-06-12T09:14:33Z", status: 200, want: []string{"r1", "c2", "c1"}},
			{name: "to a nanosecond earlier", query: "to=2024-06-12T09:14:32.999999999Z", status: 200, want: []string{"c2", "c1"}},
			{name: "to with fraction", query: "to=2024-06-11T08:00:00.5Z", status: 200, want: []string{"c2", "c1"}},
			{name: "to just before fraction", query: "to=2024-06-11T08:00:00.4999Z", status: 200, want: []string{"c1"}},
			{name: "offset encoded", query: "from=2024-06-12T11:14:33%2B02:00&to=2024-06-12T11:14:33%2B02:00", status: 200, want: []string{"r1"}},
			{name: "offset unencoded plus", query: "from=2024-06-12T11:14:33+02:00&to=2024-06-12T11:14:33+02:00", status: 200, want: []string{"r1"}},
			{name: "negative offset", query: "to=2024-06-12T04:14:33-05:00", status: 200, want: []string{"r1", "c2", "c1"}},
			{name: "offset without colon", query: "to=2024-06-12T11:14:33%2B0200", status: 200, want: []string{"r1", "c2", "c1"}},
			{name: "no zone is UTC", query: "from=2024-06-12T09:14:33&to=2024-06-12T09:14:33", status: 200, want: []string{"r1"}},
			{name: "lower case t and z", query: "from=2024-06-12t09:14:33z", status: 200, want: []string{"x1", "o1", "i1", "r2", "r1"}},
			{name: "space for T", query: "from=2024-06-12%2009:14:33Z", status: 200, want: []string{"x1", "o1", "i1", "r2", "r1"}},
			{name: "no seconds", query: "from=2024-06-12T09:14Z", status: 200, want: []string{"x1", "o1", "i1", "r2", "r1"}},
			{name: "date only is midnight UTC", query: "to=2024-06-11", status: 200, want: []string{"c1"}},
			{name: "widest range", query: "from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59.999999999Z", status: 200, want: allNewestFirst},
			{name: "to at year 1", query: "to=0001-01-01T00:00:00Z", status: 200, want: []string{}},
			{name: "from at year 0", query: "from=0000-01-01T00:00:00Z", status: 200, want: allNewestFirst},
			{name: "to before year 0", query: "to=0000-01-01T00:00:00%2B14:00", status: 200, want: []string{}},
			{name: "from at the end of year 9999", query: "from=9999-12-31T23:59:59-14:00", status: 200, want: []string{}},
			{name: "from equals to", query: "from=2024-06-12T09:14:33Z&to=2024-06-12T09:14:33Z", status: 200, want: []string{"r1"}},
			{name: "from empty", query: "from=&to=", status: 200, want: allNewestFirst},
			{name: "from not a date", query: "from=yesterday", status: 400, errs: []string{"from"}},
			{name: "from unix seconds", query: "from=1718183673", status: 400, errs: []string{"from"}},
			{name: "to bad month", query: "to=2024-13-01T00:00:00Z", status: 400, errs: []string{"to"}},
			{name: "from bad hour", query: "from=2024-06-12T25:00:00Z", status: 400, errs: []string{"from"}},
			{name: "from trailing text", query: "from=2024-06-12T09:14:33Zjunk", status: 400, errs: []string{"from"}},
			{name: "from non-ASCII", query: "from=2024-06-12T09:14:33%C4%B1", status: 400, errs: []string{"from"}},
			{name: "from after to", query: "from=2024-06-13T00:00:00Z&to=2024-06-12T00:00:00Z", status: 400, errs: []string{"from"}},

			// category and operation: the vendor's table, any casing.
			{name: "category", query: "category=Rofus", status: 200, want: []string{"r2", "r1"}},
			{name: "category lower case", query: "category=rofus", status: 200, want: []string{"r2", "r1"}},
			{name: "category upper case", query: "category=ROFUS", status: 200, want: []string{"r2", "r1"}},
			{name: "category stored lower case", query: "category=Identity", status: 200, want: []string{"i1"}},
			{name: "category Other", query: "category=Other", status: 200, want: []string{"o1"}},
			{name: "category without records", query: "category=Pep", status: 200, want: []string{}},
			{name: "category padded", query: "category=%20Cpr%20", status: 200, want: []string{"c2", "c1"}},
			{name: "category empty", query: "category=", status: 200, want: allNewestFirst},
			{name: "category unknown", query: "category=Casino", status: 400, errs: []string{"category"}},
			{name: "operation", query: "operation=evaluation", status: 200, want: []string{"r1"}},
			{name: "operation any casing", query: "operation=Gambler_Check", status: 200, want: []string{"r2"}},
			{name: "operation implies its category", query: "operation=check", status: 200, want: []string{}},
			{name: "operation in its category", query: "category=rofus&operation=EVALUATION", status: 200, want: []string{"r1"}},
			{name: "operation unknown", query: "operation=fly", status: 400, errs: []string{"operation"}},
			{name: "operation of another category", query: "category=Cpr&operation=evaluation", status: 400, errs: []string{"operation"}},
			{name: "operation with Other", query: "category=Other&operation=lookup", status: 400, errs: []string{"operation"}},
			{name: "unknown category and operation", query: "category=x&operation=lookup", status: 400, errs: []string{"category"}},

			{name: "all filters", query: "externalReference=cust-2&category=Rofus&from=2024-06-12T09:30:00Z&to=2024-06-12T10:00:00Z", status: 200, want: []string{"r2"}},
			{name: "every error at once", query: "page=0&pageSize=0&category=x&operation=y&from=z&to=w", status: 400, errs: []string{"category", "from", "operation", "page", "pageSize", "to"}},

			// Keys.
			{name: "no key", headers: []string{}, status: 401},
			{name: "no key and bad parameters", query: "page=0", headers: []string{}, status: 401},
			{name: "garbage key", headers: []string{"X-Api-Key", "nonsense"}, status: 401},
			{name: "unknown key", headers: []string{"X-Api-Key", "ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, status: 401},
			{name: "header name in any case", headers: []string{"x-api-key", reader}, status: 200, want: allNewestFirst},
			{name: "key padded", headers: []string{"X-Api-Key", " " + reader + " "}, status: 200, want: allNewestFirst},
			{name: "bearer", headers: []string{"Authorization", "Bearer " + reader}, status: 200, want: allNewestFirst},
			{name: "X-Api-Key wins over bearer", headers: []string{"X-Api-Key", "nonsense", "Authorization", "Bearer " + reader}, status: 401},
			{name: "write-only key", headers: []string{"X-Api-Key", writer}, status: 403},
			{name: "kyc:read is not enough", headers: []string{"X-Api-Key", kycOnly}, status: 403},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				headers := tc.headers
				if headers == nil {
					headers = viaKey
				}
				r := get(s, "", tc.query, headers...)
				if tc.status != 200 {
					compattest.NoStoreText(t, r.Body)
					p := problemOf(t, r, tc.status)
					if tc.status == 400 {
						keys := make([]string, 0, len(p.Errors))
						for k, msgs := range p.Errors {
							keys = append(keys, k)
							if len(msgs) == 0 || slices.Contains(msgs, "") {
								t.Errorf("errors[%s] = %q, want messages", k, msgs)
							}
						}
						slices.Sort(keys)
						if d := cmp.Diff(tc.errs, keys); d != "" {
							t.Errorf("errors name other parameters (-want +got):\n%s\n%s", d, r.Body)
						}
					}
					return
				}
				p := page(t, r)
				wantPage, wantSize := max(tc.page, 1), tc.pageSize
				if wantSize == 0 {
					wantSize = 50
				}
				if p.Page != wantPage || p.PageSize != wantSize {
					t.Errorf("page, pageSize = %d, %d; want %d, %d", p.Page, p.PageSize, wantPage, wantSize)
				}
				if d := cmp.Diff(tc.want, n.Names(recordIDs(p.Items))); d != "" {
					t.Errorf("records (-want +got):\n%s", d)
				}
				if tc.page <= 1 && len(tc.want) < wantSize && p.TotalCount != int64(len(tc.want)) {
					t.Errorf("totalCount = %d, want %d", p.TotalCount, len(tc.want))
				}
			})
		}
	})
}

// TestCanonicalCasing checks that table values are echoed in the vendor's
// spelling whatever the writer's, and that other values are left alone.
func TestCanonicalCasing(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		key := s.Key(s.Root.ID, "events:write", "events:read")
		s.Ingest(key,
			map[string]any{"occurred_at": "2024-01-01T00:00:05Z", "category": "pep", "action": "CHECK_BULK"},
			map[string]any{"occurred_at": "2024-01-01T00:00:04Z", "category": "SAFE", "action": "End_Of_Day"},
			map[string]any{"occurred_at": "2024-01-01T00:00:03Z", "category": "Cpr", "action": "START"}, // not a Cpr operation
			map[string]any{"occurred_at": "2024-01-01T00:00:02Z", "category": "Casino", "action": "Spin"},
			map[string]any{"occurred_at": "2024-01-01T00:00:01Z", "action": "lookup"},
		)
		p := page(t, get(s, key, ""))
		var got [][2]string
		for _, it := range p.Items {
			got = append(got, [2]string{it.Category, it.Operation})
		}
		want := [][2]string{{"Pep", "check_bulk"}, {"Safe", "end_of_day"}, {"Cpr", "START"}, {"Casino", "Spin"}, {"", "lookup"}}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("category, operation (-want +got):\n%s", d)
		}
	})
}
