package auditply_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
)

// FuzzAuditply sends arbitrary case ids, query strings and header values
// to a real server (SQLite, started once) and checks that the answer is
// never a 500, always in the vendor's shape, never holds an entry of
// another tenant or another case, and that every 404 is the same. mode
// picks how the key is presented: the reader's key in X-API-Key or as a
// Bearer token, or the fuzzed header value in X-API-Key or Authorization.
func FuzzAuditply(f *testing.F) {
	s := apitest.New(f, "sqlite")
	a := s.Tenant("Bank A", "customer", "bank-a", uuid.Nil)
	a1 := s.Tenant("Bank A child", "child", "bank-a1", a.ID)
	b := s.Tenant("Bank B", "customer", "bank-b", uuid.Nil)
	// caseOf[id] is the case an entry the reader may see belongs to.
	caseOf := map[int64]string{}
	for i, tn := range []uuid.UUID{a.ID, a1.ID, b.ID} {
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
		for j, e := range s.Ingest(s.Key(tn, "events:write"), evs...) {
			if i < 2 { // a and a1 are the reader's
				caseOf[e.ID] = []string{"1", "42", "77"}[j/2]
			}
		}
	}
	reader := s.Key(a.ID, "kyc:read")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
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
		req.URL.RawQuery = queryText(query)
		switch mode % 4 {
		case 0:
			req.Header.Set("X-API-Key", reader)
		case 1:
			req.Header.Set("Authorization", "Bearer "+reader)
		case 2:
			req.Header.Set("X-API-Key", header)
		case 3:
			req.Header.Set("Authorization", header)
		}
		resp, err := client.Do(req)
		if err != nil {
			return // a header value no client can send
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for id %q, query %q: %s", resp.StatusCode, id, req.URL.RawQuery, body)
		}
		switch id {
		case "", ".", "..", "/":
			// The router cleans such a path (or, for "%2F" alone, does not
			// match it) before the dialect sees it; only "no 500" applies.
			return
		}
		switch resp.StatusCode {
		case 200:
			var l auditLog
			decodeStrict(t, body, &l)
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
			decodeStrict(t, body, &e)
			if e.Error.Code == "" || e.Error.Message == "" || e.Meta.APIVersion != "v1" {
				t.Fatalf("error body %s", body)
			}
			if resp.StatusCode == 404 {
				// Every 404 is the same, whoever has the case.
				b := string(stamp.ReplaceAll(body, nil))
				if notFound == "" {
					notFound = b
				} else if b != notFound {
					t.Fatalf("404 bodies differ: %s vs %s", b, notFound)
				}
			}
		default:
			t.Fatalf("status %d for id %q, query %q: %s", resp.StatusCode, id, req.URL.RawQuery, body)
		}
	})
}

// queryText makes s sendable as a raw query: bytes a request line cannot
// carry are percent-encoded, everything else ('&', '=', '%', '+') is left
// as the fuzzer wrote it.
func queryText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '#' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
