package auditply_test

import (
	"regexp"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
)

// TestMain drops this process's PostgreSQL template database at the end.
func TestMain(m *testing.M) { pgtest.Main(m) }

// The vendor's wire format, written from the seed page rather than taken
// from the implementation, so a renamed field fails these tests.
type auditLog struct {
	Data       []entry    `json:"data"`
	Pagination pagination `json:"pagination"`
	Meta       meta       `json:"meta"`
}

type entry struct {
	ID         int64   `json:"id"`
	User       *string `json:"user"`
	EntityType string  `json:"entity_type"`
	Action     string  `json:"action"`
	Field      *string `json:"field"`
	OldValue   *string `json:"old_value"`
	NewValue   *string `json:"new_value"`
	Reason     *string `json:"reason"`
	Timestamp  string  `json:"timestamp"`
}

type pagination struct {
	Page       int   `json:"page"`
	PageSize   int   `json:"page_size"`
	TotalCount int64 `json:"total_count"`
	TotalPages int64 `json:"total_pages"`
	HasMore    bool  `json:"has_more"`
}

type meta struct {
	APIVersion string `json:"api_version"`
	Timestamp  string `json:"timestamp"`
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Meta meta `json:"meta"`
}

var timestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func casePath(id string) string { return "/api/v1/kyc/cases/" + id + "/audit-log" }

// get fetches case id's log with query, presenting key in the vendor's
// header.
func get(s *apitest.Server, key, id, query string, headers ...string) *apitest.Response {
	path := casePath(id)
	if query != "" {
		path += "?" + query
	}
	if key != "" {
		headers = append([]string{"X-API-Key", key}, headers...)
	}
	return s.Do("GET", path, "", nil, headers...)
}

func checkMeta(t testing.TB, m meta) {
	t.Helper()
	if m.APIVersion != "v1" || !timestampRE.MatchString(m.Timestamp) {
		t.Errorf("meta = %+v, want api_version v1 and a millisecond UTC timestamp", m)
	}
}

// logOf decodes a 200 answer and checks its envelope and formats.
func logOf(t testing.TB, r *apitest.Response) auditLog {
	t.Helper()
	var l auditLog
	compattest.DecodeAnswer(t, r, 200, "application/json", &l)
	if l.Data == nil {
		t.Errorf("data is null, want a list: %s", r.Body)
	}
	checkMeta(t, l.Meta)
	p := l.Pagination
	if pages := (p.TotalCount + int64(p.PageSize) - 1) / int64(p.PageSize); p.TotalPages != pages || p.HasMore != (int64(p.Page) < pages) {
		t.Errorf("pagination does not add up: %+v", p)
	}
	for _, e := range l.Data {
		if !timestampRE.MatchString(e.Timestamp) {
			t.Errorf("timestamp %q is not UTC with exactly 3 fraction digits and Z", e.Timestamp)
		}
	}
	return l
}

// errorOf decodes an error answer and checks its envelope.
func errorOf(t testing.TB, r *apitest.Response, status int, code string) errorBody {
	t.Helper()
	var e errorBody
	compattest.DecodeAnswer(t, r, status, "application/json", &e)
	if e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("error = %+v, want code %s and a message", e.Error, code)
	}
	checkMeta(t, e.Meta)
	return e
}

// entryIDs lists the ids of a log's entries.
func entryIDs(data []entry) []int64 {
	out := make([]int64, len(data))
	for i, e := range data {
		out[i] = e.ID
	}
	return out
}

// onCase is a target list placing an object of type typ in case id.
func onCase(id string, typ, objID string) []any {
	ts := []any{}
	if typ != "" {
		ts = append(ts, map[string]any{"type": typ, "id": objID})
	}
	return append(ts, map[string]any{"type": "kyc_case", "id": id})
}
