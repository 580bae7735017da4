package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
)

type errorAnswer struct {
	Error struct {
		Status  int    `json:"status"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// testLedgerErrors: bad parameters name themselves, tenants the key does
// not reach look exactly like missing ones, and keys need events:read.
func testLedgerErrors(t *testing.T, f *ledgerFixture) {
	other := f.s.Ingest(f.kB, map[string]any{"action": "other"})[0]
	notFound := ""
	for _, tc := range []struct {
		path   string
		key    string
		status int
		field  string // the parameter named, for a 400
		hidden bool   // a 404 that must read exactly like a missing tenant
	}{
		{"/v1/ledger/checkpoint?tenant=b-ref", f.kAcq, 404, "", true},
		{"/v1/ledger/checkpoint?tenant=no-such-ref", f.kAcq, 404, "", true},
		{"/v1/ledger/checkpoint?tenant=" + f.acq.ID.String(), f.kB, 404, "", true},
		{"/v1/ledger/checkpoints?tenant=b-ref", f.kAcq, 404, "", true},
		{"/v1/ledger/proof/inclusion?tenant=b-ref&seq=0", f.kAcq, 404, "", true},
		{"/v1/ledger/proof/consistency?tenant=b-ref&from=1", f.kAcq, 404, "", true},
		{"/v1/ledger/export?tenant=" + f.acq.ID.String(), f.kB, 404, "", true},
		{"/v1/ledger/export?tenant=acq", f.kB, 404, "", true},
		{"/v1/ledger/checkpoint?tenant=" + f.empty.ID.String(), f.kAcq, 404, "", false},
		{"/v1/ledger/export?tenant=" + f.empty.ID.String(), f.kAcq, 404, "", false},
		{"/v1/ledger/checkpoint", "", 401, "", false},
		{"/v1/ledger/keys", f.kWrite, 403, "", false},
		{"/v1/ledger/export", f.kWrite, 403, "", false},
		{"/v1/ledger/checkpoint?foo=1", f.kAcq, 400, "foo", false},
		{"/v1/ledger/keys?tenant=acq", f.kAcq, 400, "tenant", false},
		{"/v1/ledger/checkpoint?tenant=acq&tenant=m-ref", f.kAcq, 400, "tenant", false},
		{"/v1/ledger/checkpoints?size=abc", f.kAcq, 400, "size", false},
		{"/v1/ledger/checkpoints?size=0", f.kAcq, 400, "size", false},
		{"/v1/ledger/checkpoints?size=3", f.kAcq, 404, "", false},
		{"/v1/ledger/checkpoints?size=100&limit=5", f.kAcq, 400, "size", false},
		{"/v1/ledger/checkpoints?limit=0", f.kAcq, 400, "limit", false},
		{"/v1/ledger/checkpoints?limit=1001", f.kAcq, 400, "limit", false},
		{"/v1/ledger/checkpoints?after=-1", f.kAcq, 400, "after", false},
		{"/v1/ledger/proof/inclusion", f.kAcq, 400, "seq", false},
		{"/v1/ledger/proof/inclusion?seq=-1", f.kAcq, 400, "seq", false},
		{"/v1/ledger/proof/inclusion?seq=x", f.kAcq, 400, "seq", false},
		{"/v1/ledger/proof/inclusion?seq=1&size=x", f.kAcq, 400, "size", false},
		{"/v1/ledger/proof/inclusion?seq=5000", f.kAcq, 404, "", false},
		{"/v1/ledger/proof/inclusion?seq=150&size=100", f.kAcq, 400, "size", false},
		{"/v1/ledger/proof/inclusion?seq=1&size=3", f.kAcq, 404, "", false},
		{"/v1/ledger/proof/inclusion?seq=1&event=1", f.kAcq, 400, "event", false},
		{"/v1/ledger/proof/inclusion?event=not-an-id", f.kAcq, 400, "event", false},
		{fmt.Sprintf("/v1/ledger/proof/inclusion?event=%d", other.ID), f.kAcq, 404, "", true},
		{"/v1/ledger/proof/inclusion?event=" + other.UUID, f.kAcq, 404, "", true},
		{"/v1/ledger/proof/consistency", f.kAcq, 400, "from", false},
		{"/v1/ledger/proof/consistency?from=0", f.kAcq, 400, "from", false},
		{"/v1/ledger/proof/consistency?from=260&to=100", f.kAcq, 400, "from", false},
		{"/v1/ledger/proof/consistency?from=1&to=x", f.kAcq, 400, "to", false},
		{"/v1/ledger/proof/consistency?from=3", f.kAcq, 404, "from", false},
		{"/v1/ledger/proof/consistency?from=1&to=3", f.kAcq, 404, "to", false},
		{"/v1/ledger/export?size=3", f.kAcq, 404, "", false},
		{"/v1/ledger/export?size=-3", f.kAcq, 400, "size", false},
		// Strict parsing: nothing the query holds is dropped or guessed at.
		{"/v1/ledger/export?tenant=a1;", f.kAcq, 400, "tenant", false},
		{"/v1/ledger/export?tenant=acq;x=1", f.kAcq, 400, "tenant", false},
		{"/v1/ledger/checkpoint?tenant=%zz", f.kAcq, 400, "tenant", false},
		{"/v1/ledger/checkpoint?tenant=a%00", f.kAcq, 400, "tenant", false},
		{"/v1/ledger/checkpoint?=1", f.kAcq, 400, "query", false},
		{"/v1/ledger/keys?x", f.kAcq, 400, "x", false},
		// Integers: digits only, within int64.
		{"/v1/ledger/export?size=9223372036854775808", f.kAcq, 400, "size", false},
		{"/v1/ledger/export?size=1e3", f.kAcq, 400, "size", false},
		{"/v1/ledger/export?size=%2B5", f.kAcq, 400, "size", false},
		{"/v1/ledger/export?size=+5", f.kAcq, 400, "size", false},
		{"/v1/ledger/export?size=", f.kAcq, 400, "size", false},
		{"/v1/ledger/checkpoints?limit=%2B5", f.kAcq, 400, "limit", false},
		{"/v1/ledger/checkpoints?limit=99999999999999999999", f.kAcq, 400, "limit", false},
		{"/v1/ledger/checkpoints?after=9223372036854775808", f.kAcq, 400, "after", false},
		{"/v1/ledger/checkpoints?after=0x10", f.kAcq, 400, "after", false},
		{"/v1/ledger/proof/inclusion?seq=%2B1", f.kAcq, 400, "seq", false},
		{"/v1/ledger/proof/inclusion?seq=1.0", f.kAcq, 400, "seq", false},
		{"/v1/ledger/proof/inclusion?seq=18446744073709551616", f.kAcq, 400, "seq", false},
		{"/v1/ledger/proof/consistency?from=-1", f.kAcq, 400, "from", false},
		{"/v1/ledger/proof/consistency?from=%2B1", f.kAcq, 400, "from", false},
		{"/v1/ledger/proof/consistency?from=1&to=9223372036854775808", f.kAcq, 400, "to", false},
	} {
		r := f.s.Do("GET", tc.path, tc.key, nil)
		var e errorAnswer
		r.JSON(t, &e)
		if r.Status != tc.status || e.Error.Status != tc.status || e.Error.Field != tc.field {
			t.Errorf("%s: %d %s, want %d naming %q", tc.path, r.Status, r.Body, tc.status, tc.field)
		}
		if tc.status == 404 && tc.field != "" && !strings.Contains(e.Error.Message, "GET /v1/ledger/checkpoints") {
			t.Errorf("%s: %s; a size without a checkpoint must say where the signed ones are listed", tc.path, r.Body)
		}
		if tc.hidden {
			if notFound == "" {
				notFound = string(r.Body)
			} else if string(r.Body) != notFound {
				t.Errorf("%s: %s; a tenant or event the key does not reach must read %s", tc.path, r.Body, notFound)
			}
		}
	}
}

// TestLedgerOff: a server without a ledger says so on every ledger route.
func TestLedgerOff(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine, func(c *app.Config) { c.NoLedger = true })
		s.Ingest(s.AdminKey, map[string]any{"action": "x"})
		for _, path := range []string{"/v1/ledger/checkpoint", "/v1/ledger/checkpoints", "/v1/ledger/proof/inclusion?seq=0",
			"/v1/ledger/proof/consistency?from=1", "/v1/ledger/keys", "/v1/ledger/export"} {
			r := s.Do("GET", path, s.AdminKey, nil)
			var e errorAnswer
			r.JSON(t, &e)
			if r.Status != http.StatusNotFound || !strings.Contains(e.Error.Message, "ledger is off") {
				t.Errorf("%s: %d %s", path, r.Status, r.Body)
			}
		}
	})
}
