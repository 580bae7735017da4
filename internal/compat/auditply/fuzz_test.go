package auditply_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// FuzzAuditply sends arbitrary case ids, query strings and header values
// to a real server (SQLite, started once) and checks that the answer is
// never a 500, always in the vendor's shape, never holds an entry of
// another tenant or another case, and that every 404 is the same. mode
// picks how the key is presented: the reader's key in X-API-Key or as a
// Bearer token, or the fuzzed header value in X-API-Key or Authorization.
func FuzzAuditply(f *testing.F) {
	s := compattest.NewFamily(f, "sqlite", "kyc:read")
	// caseOf[id] is the case an entry the reader may see belongs to.
	caseOf := map[int64]string{}
	for _, tn := range []string{"a", "a1", "b"} {
		var evs []map[string]any
		for _, c := range []string{"1", "42", "77"} {
			for _, act := range []string{"STATUS_CHANGED", "ANSWER_SAVED"} {
				evs = append(evs, map[string]any{
					"occurred_at": "2025-03-10T09:15:00.5Z", "action": act,
					"actor":   map[string]any{"name": "Martin Hansen"},
					"targets": onCase(c, "kyc_answer", "7"),
					"changes": []any{map[string]any{"field": "status", "old": nil, "new": map[string]any{"x": []any{1, "y"}}}},
				})
			}
		}
		for j, e := range s.Ingest(s.Key(s.Tenants[tn].ID, "events:write"), evs...) {
			if tn != "b" { // a and a1 are the reader's
				caseOf[e.ID] = []string{"1", "42", "77"}[j/2]
			}
		}
	}
	reader := s.Keys["a"]
	client := compattest.FuzzClient()
	stamp := regexp.MustCompile(`"timestamp":"[^"]*"`)
	notFound := ""

	f.Add("42", "", "", uint(0))
	f.Add("0042", "page=2&page_size=1&action=STATUS_CHANGED", "", uint(1))
	f.Add("9223372036854775808", "page=0", "", uint(0))
	f.Add("42", "page=1&page=2&page_size=%zz", "", uint(0))
	f.Add("78", "action=", "ap_live_123", uint(2))
	f.Add("-1", "page_size=101", "Bearer ak_x", uint(3))
	f.Add("4%2", "page=2147483647&page_size=100", "", uint(0))

	f.Fuzz(func(t *testing.T, id, query, header string, mode uint) {
		req, err := http.NewRequest("GET", s.URL+casePath(url.PathEscape(id)), nil)
		if err != nil {
			return // an id that does not make a URL
		}
		req.URL.RawQuery = compattest.Escape(query, compattest.NonASCII)
		compattest.PresentKey(req, mode, "X-API-Key", reader, header)
		resp := compattest.Fetch(t, client, req)
		if resp == nil {
			return // a header value no client can send
		}
		body := resp.Body
		if resp.Status >= 500 {
			t.Fatalf("status %d for id %q, query %q: %s", resp.Status, id, req.URL.RawQuery, body)
		}
		switch id {
		case "", ".", "..", "/":
			// The router cleans such a path (or, for "%2F" alone, does not
			// match it) before the dialect sees it; only "no 500" applies.
			return
		}
		switch resp.Status {
		case 200:
			var l auditLog
			compattest.DecodeStrict(t, body, &l)
			p := l.Pagination
			if p.Page < 1 || p.PageSize < 1 || p.PageSize > 100 || len(l.Data) > p.PageSize || p.TotalCount > 4 {
				t.Fatalf("pagination %+v with %d entries: %s", p, len(l.Data), body)
			}
			for _, e := range l.Data {
				c, ok := caseOf[e.ID]
				if !ok {
					t.Fatalf("entry %d is not the key's tenant's: %s", e.ID, body)
				}
				if want := strings.TrimLeft(id, "0"); c != want {
					t.Fatalf("entry %d of case %s in the log of case %q", e.ID, c, id)
				}
				if !timestampRE.MatchString(e.Timestamp) {
					t.Fatalf("timestamp %q", e.Timestamp)
				}
			}
		case 400, 401, 403, 404:
			var e errorBody
			compattest.DecodeStrict(t, body, &e)
			if e.Error.Code == "" || e.Error.Message == "" || e.Meta.APIVersion != "v1" {
				t.Fatalf("error body %s", body)
			}
			if resp.Status == 404 {
				// Every 404 is the same, whoever has the case.
				b := string(stamp.ReplaceAll(body, nil))
				if notFound == "" {
					notFound = b
				} else if b != notFound {
					t.Fatalf("404 bodies differ: %s vs %s", b, notFound)
				}
			}
		default:
			t.Fatalf("status %d for id %q, query %q: %s", resp.Status, id, req.URL.RawQuery, body)
		}
	})
}
