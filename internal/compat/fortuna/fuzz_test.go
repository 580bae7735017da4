package fortuna_test

import (
	"net/http"
	"testing"

	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// FuzzFortuna sends arbitrary query strings and header values to a real
// server (SQLite, started once) and checks that the answer is never a 500,
// always in the vendor's shape, and never holds a record of another
// tenant. mode picks how the key is presented: the reader's key in
// X-Api-Key or as a Bearer token, or the fuzzed header value in X-Api-Key
// or Authorization; the fuzzed value also goes into traceparent.
func FuzzFortuna(f *testing.F) {
	s := compattest.NewFamily(f, "sqlite", "events:read")
	mine := map[int64]bool{}
	for _, tn := range []string{"a", "a1", "b"} {
		var evs []map[string]any
		for _, op := range [][2]string{{"Cpr", "lookup"}, {"Rofus", "evaluation"}, {"rofus", "GAMBLER_CHECK"}, {"Other", "note"}, {"", "check"}} {
			evs = append(evs, map[string]any{
				"occurred_at": "2024-06-12T09:14:33.5Z", "category": op[0], "action": op[1],
				"external_ref": "ref-1", "context": "ctx",
			})
		}
		for _, e := range s.Ingest(s.Key(s.Tenants[tn].ID, "events:write"), evs...) {
			mine[e.ID] = tn != "b" // a and a1 are the reader's
		}
	}
	reader := s.Keys["a"]
	client := compattest.FuzzClient()

	f.Add("", "", uint(0))
	f.Add("page=0&pageSize=501", "", uint(0))
	f.Add("from=2024-06-12T11:14:33+02:00&to=2024-06-12", "", uint(1))
	f.Add("category=ROFUS&operation=Evaluation&externalReference=ref-1", "", uint(0))
	f.Add("PaGe=2147483647&pagesize=500&page=x", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", uint(0))
	f.Add("to=0001-01-01T00:00:00Z&from=9999-12-31", "ak_aaaa", uint(2))
	f.Add("%zz=%zz&category=%C4%B1", "Bearer x", uint(3))

	f.Fuzz(func(t *testing.T, query, header string, mode uint) {
		req, err := http.NewRequest("GET", s.URL+route, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawQuery = compattest.Escape(query, compattest.NonASCII)
		compattest.PresentKey(req, mode, "X-Api-Key", reader, header)
		req.Header.Set("traceparent", header)
		resp := compattest.Fetch(t, client, req)
		if resp == nil {
			return // a header value no client can send
		}
		body := resp.Body
		switch resp.Status {
		case 200:
			var p recordPage
			compattest.DecodeStrict(t, body, &p)
			if p.Page < 1 || p.PageSize < 1 || p.PageSize > 500 || len(p.Items) > p.PageSize {
				t.Fatalf("page %d, pageSize %d, %d items: %s", p.Page, p.PageSize, len(p.Items), body)
			}
			if p.TotalCount > 10 {
				t.Fatalf("totalCount %d counts more than the key's 10 records", p.TotalCount)
			}
			for _, it := range p.Items {
				if !mine[it.ID] {
					t.Fatalf("record %d is not the key's tenant's: %s", it.ID, body)
				}
				if !performedAtRE.MatchString(it.PerformedAt) {
					t.Fatalf("performedAt %q", it.PerformedAt)
				}
			}
		case 400, 401, 403:
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("%d with content type %q: %s", resp.Status, ct, body)
			}
			var p problem
			compattest.DecodeStrict(t, body, &p)
			if p.Status != resp.Status || !traceIDRE.MatchString(p.TraceID) || (p.Status == 400) != (len(p.Errors) > 0) {
				t.Fatalf("problem does not match its status %d: %s", resp.Status, body)
			}
		default:
			t.Fatalf("status %d for query %q: %s", resp.Status, req.URL.RawQuery, body)
		}
	})
}
