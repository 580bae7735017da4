package auditply_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// paramEvents is the data set of the parameter table, oldest first: six
// entries of case 42 (the case as target 0 or as the container of an
// answer), one of case 43 and one of no case.
var paramEvents = []compattest.NamedEvent{
	{Name: "a", Event: map[string]any{"occurred_at": "2025-01-01T09:00:00Z", "action": "CASE_CREATED", "targets": onCase("42", "", "")}},
	{Name: "b", Event: map[string]any{"occurred_at": "2025-01-02T09:00:00Z", "action": "ANSWER_SAVED", "targets": onCase("42", "kyc_answer", "1")}},
	{Name: "c", Event: map[string]any{"occurred_at": "2025-01-03T09:00:00Z", "action": "ANSWER_SAVED", "targets": onCase("42", "kyc_answer", "2")}},
	{Name: "d", Event: map[string]any{"occurred_at": "2025-01-04T09:00:00Z", "action": "SANCTIONS_SEARCH", "targets": onCase("42", "", "")}},
	{Name: "e", Event: map[string]any{"occurred_at": "2025-01-05T09:00:00Z", "action": "STATUS_CHANGED", "targets": onCase("42", "", "")}},
	{Name: "f", Event: map[string]any{"occurred_at": "2025-01-06T09:00:00Z", "action": "STATUS_CHANGED", "targets": onCase("42", "", "")}},
	{Name: "g", Event: map[string]any{"occurred_at": "2025-01-07T09:00:00Z", "action": "STATUS_CHANGED", "targets": onCase("43", "", "")}},
	{Name: "h", Event: map[string]any{"occurred_at": "2025-01-08T09:00:00Z", "action": "STATUS_CHANGED", "targets": []any{map[string]any{"type": "kyc_case_note", "id": "42"}}}},
}

var case42 = []string{"f", "e", "d", "c", "b", "a"}

func TestParameters(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		tn := s.Tenant("Bank C", "customer", "bank-c", uuid.Nil)
		writer := s.Key(tn.ID, "events:write")
		kyc, events := s.Key(tn.ID, "kyc:read"), s.Key(tn.ID, "events:read")
		moyasarOnly := s.Key(tn.ID, "audit_logs_read")
		n := compattest.IngestNamed(s, writer, paramEvents)

		tests := []struct {
			name    string
			id      string
			query   string
			headers []string // default: the kyc:read key in X-API-Key
			status  int
			code    string   // error code (not 200)
			names   string   // the parameter a 400's message starts with
			want    []string // names, newest first (200)
			page    pagination
		}{
			// Defaults and paging.
			{name: "defaults", id: "42", status: 200, want: case42, page: pagination{1, 25, 6, 1, false}},
			{name: "first of two pages", id: "42", query: "page_size=4", status: 200, want: []string{"f", "e", "d", "c"}, page: pagination{1, 4, 6, 2, true}},
			{name: "last page", id: "42", query: "page=2&page_size=4", status: 200, want: []string{"b", "a"}, page: pagination{2, 4, 6, 2, false}},
			{name: "page past the end", id: "42", query: "page=3&page_size=4", status: 200, want: []string{}, page: pagination{3, 4, 6, 2, false}},
			{name: "largest page", id: "42", query: "page=2147483647", status: 200, want: []string{}, page: pagination{2147483647, 25, 6, 1, false}},
			{name: "page_size 1", id: "42", query: "page_size=1", status: 200, want: []string{"f"}, page: pagination{1, 1, 6, 6, true}},
			{name: "page_size 100", id: "42", query: "page_size=100", status: 200, want: case42, page: pagination{1, 100, 6, 1, false}},
			{name: "leading zeros", id: "42", query: "page=01&page_size=002", status: 200, want: []string{"f", "e"}, page: pagination{1, 2, 6, 3, true}},
			{name: "page empty is the default", id: "42", query: "page=&page_size=", status: 200, want: case42, page: pagination{1, 25, 6, 1, false}},
			{name: "page 0", id: "42", query: "page=0", status: 400, code: "BAD_REQUEST"},
			{name: "page negative", id: "42", query: "page=-1", status: 400, code: "BAD_REQUEST"},
			{name: "page above int32", id: "42", query: "page=2147483648", status: 400, code: "BAD_REQUEST"},
			{name: "page huge", id: "42", query: "page=99999999999999999999999", status: 400, code: "BAD_REQUEST"},
			{name: "page not a number", id: "42", query: "page=two", status: 400, code: "BAD_REQUEST"},
			{name: "page with sign", id: "42", query: "page=%2B2", status: 400, code: "BAD_REQUEST"},
			{name: "page with space", id: "42", query: "page=+2", status: 400, code: "BAD_REQUEST"},
			{name: "page_size 0", id: "42", query: "page_size=0", status: 400, code: "BAD_REQUEST"},
			{name: "page_size 101", id: "42", query: "page_size=101", status: 400, code: "BAD_REQUEST"},
			{name: "page_size decimal", id: "42", query: "page_size=2.5", status: 400, code: "BAD_REQUEST"},
			{name: "page twice", id: "42", query: "page=1&page=2", status: 400, code: "BAD_REQUEST"},
			{name: "page bad escape", id: "42", query: "page=%zz", status: 400, code: "BAD_REQUEST"},

			{name: "page twice, once empty", id: "42", query: "page=&page=2", status: 400, code: "BAD_REQUEST", names: "page"},

			// Names are exact; other parameters are ignored, but a query
			// string that cannot be read strictly is refused, whichever
			// parameter holds the fault: it may hide a known one.
			{name: "unknown parameters", id: "42", query: "PAGE=0&pageSize=1&sort=asc&sort=desc&limit=1", status: 200, want: case42, page: pagination{1, 25, 6, 1, false}},
			{name: "semicolon", id: "42", query: "action=STATUS_CHANGED;page=2", status: 400, code: "BAD_REQUEST", names: "action"},
			{name: "semicolon in an unknown parameter", id: "42", query: "x=1;action=STATUS_CHANGED", status: 400, code: "BAD_REQUEST", names: "x"},
			{name: "bad escape in an unknown name", id: "42", query: "%zz=1", status: 400, code: "BAD_REQUEST", names: "%zz"},
			{name: "bad escape in an unknown value", id: "42", query: "x=%zz", status: 400, code: "BAD_REQUEST", names: "x"},
			{name: "NUL in a name", id: "42", query: "action%00=STATUS_CHANGED", status: 400, code: "BAD_REQUEST", names: "action%00"},
			{name: "too many parameters", id: "42", query: strings.Repeat("x=1&", 256) + "action=A", status: 400, code: "BAD_REQUEST", names: "action"},
			{name: "query too long", id: "42", query: "x=" + strings.Repeat("1", 16<<10), status: 400, code: "BAD_REQUEST", names: "query"},

			// action: exact.
			{name: "action", id: "42", query: "action=STATUS_CHANGED", status: 200, want: []string{"f", "e"}, page: pagination{1, 25, 2, 1, false}},
			{name: "action paged", id: "42", query: "action=ANSWER_SAVED&page_size=1&page=2", status: 200, want: []string{"b"}, page: pagination{2, 1, 2, 2, false}},
			{name: "action is case-sensitive", id: "42", query: "action=status_changed", status: 200, want: []string{}, page: pagination{1, 25, 0, 0, false}},
			{name: "action without entries", id: "42", query: "action=CASE_CLOSED", status: 200, want: []string{}, page: pagination{1, 25, 0, 0, false}},
			{name: "action empty", id: "42", query: "action=", status: 200, want: case42, page: pagination{1, 25, 6, 1, false}},
			{name: "action twice", id: "42", query: "action=A&action=B", status: 400, code: "BAD_REQUEST", names: "action"},
			{name: "action at its bound", id: "42", query: "action=" + strings.Repeat("A", 1024), status: 200, want: []string{}, page: pagination{1, 25, 0, 0, false}},
			{name: "action too long", id: "42", query: "action=" + strings.Repeat("A", 1025), status: 400, code: "BAD_REQUEST", names: "action"},
			{name: "action invalid UTF-8", id: "42", query: "action=STATUS%ff", status: 400, code: "BAD_REQUEST", names: "action"},
			{name: "action lone surrogate", id: "42", query: "action=%ED%A0%80", status: 400, code: "BAD_REQUEST", names: "action"},
			{name: "action NUL", id: "42", query: "action=STATUS_CHANGED%00", status: 400, code: "BAD_REQUEST", names: "action"},

			// The case id.
			{name: "other case", id: "43", status: 200, want: []string{"g"}, page: pagination{1, 25, 1, 1, false}},
			{name: "id with leading zeros", id: "0042", status: 200, want: case42, page: pagination{1, 25, 6, 1, false}},
			{name: "id escaped", id: "%34%32", status: 200, want: case42, page: pagination{1, 25, 6, 1, false}},
			{name: "unknown case", id: "44", status: 404, code: "NOT_FOUND"},
			{name: "unknown case with action", id: "44", query: "action=STATUS_CHANGED", status: 404, code: "NOT_FOUND"},
			{name: "unknown case past the end", id: "44", query: "page=9", status: 404, code: "NOT_FOUND"},
			{name: "largest id", id: "9223372036854775807", status: 404, code: "NOT_FOUND"},
			{name: "id above int64", id: "9223372036854775808", status: 400, code: "BAD_REQUEST"},
			{name: "id 0", id: "0", status: 400, code: "BAD_REQUEST"},
			{name: "id negative", id: "-42", status: 400, code: "BAD_REQUEST"},
			{name: "id with sign", id: "%2B42", status: 400, code: "BAD_REQUEST"},
			{name: "id decimal", id: "42.0", status: 400, code: "BAD_REQUEST"},
			{name: "id not a number", id: "abc", status: 400, code: "BAD_REQUEST"},
			{name: "id with slash", id: "42%2F43", status: 400, code: "BAD_REQUEST"},
			{name: "bad id and bad page", id: "x", query: "page=0", status: 400, code: "BAD_REQUEST"},

			// Keys.
			{name: "no key", id: "42", headers: []string{}, status: 401, code: "UNAUTHORIZED"},
			{name: "no key and bad id", id: "x", headers: []string{}, status: 401, code: "UNAUTHORIZED"},
			{name: "garbage key", id: "42", headers: []string{"X-API-Key", "ap_live_123"}, status: 401, code: "UNAUTHORIZED"},
			{name: "unknown key", id: "42", headers: []string{"X-API-Key", "ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, status: 401, code: "UNAUTHORIZED"},
			{name: "header name in any case", id: "42", headers: []string{"x-api-key", kyc}, status: 200, want: case42, page: pagination{1, 25, 6, 1, false}},
			{name: "bearer", id: "42", headers: []string{"Authorization", "Bearer " + kyc}, status: 200, want: case42, page: pagination{1, 25, 6, 1, false}},
			{name: "X-API-Key wins over bearer", id: "42", headers: []string{"X-API-Key", "nonsense", "Authorization", "Bearer " + kyc}, status: 401, code: "UNAUTHORIZED"},
			{name: "events:read implies kyc:read", id: "42", headers: []string{"X-API-Key", events}, status: 200, want: case42, page: pagination{1, 25, 6, 1, false}},
			{name: "write-only key", id: "42", headers: []string{"X-API-Key", writer}, status: 403, code: "FORBIDDEN"},
			{name: "another vendor's scope", id: "42", headers: []string{"X-API-Key", moyasarOnly}, status: 403, code: "FORBIDDEN"},
			{name: "no scope and unknown case", id: "44", headers: []string{"X-API-Key", writer}, status: 403, code: "FORBIDDEN"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				headers := tc.headers
				if headers == nil {
					headers = []string{"X-API-Key", kyc}
				}
				r := get(s, "", tc.id, tc.query, headers...)
				if tc.status != 200 {
					compattest.NoStoreText(t, r.Body)
					e := errorOf(t, r, tc.status, tc.code)
					if tc.names != "" && !strings.HasPrefix(e.Error.Message, tc.names+":") {
						t.Errorf("message %q does not name %s", e.Error.Message, tc.names)
					}
					if tc.status == 401 && r.Header.Get("WWW-Authenticate") == "" {
						t.Error("401 without WWW-Authenticate")
					}
					return
				}
				l := logOf(t, r)
				if d := cmp.Diff(tc.want, n.Names(entryIDs(l.Data))); d != "" {
					t.Errorf("entries (-want +got):\n%s", d)
				}
				if d := cmp.Diff(tc.page, l.Pagination); d != "" {
					t.Errorf("pagination (-want +got):\n%s", d)
				}
			})
		}
	})
}
