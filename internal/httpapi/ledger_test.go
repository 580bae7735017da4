package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/store"
)

// ledgerFixture is a server with a small tree of tenants and their logs.
type ledgerFixture struct {
	s          *apitest.Server
	acq, m, b  store.Tenant
	empty      store.Tenant
	kAcq, kB   string // events:read and events:write keys
	kWrite     string // events:write only
	events     []event.JSON
	cp100      string // the acquirer's checkpoint of size 100
	verifiers  note.Verifiers
	byTenantID map[uuid.UUID]int // events per tenant
}

func newLedgerFixture(t *testing.T, engine string) *ledgerFixture {
	f := &ledgerFixture{s: apitest.New(t, engine), byTenantID: map[uuid.UUID]int{}}
	s := f.s
	f.acq = s.Tenant("acquirer", "acquirer", "acq", uuid.Nil)
	f.m = s.Tenant("merchant", "merchant", "m-ref", f.acq.ID)
	f.empty = s.Tenant("quiet merchant", "merchant", "", f.acq.ID)
	f.b = s.Tenant("other acquirer", "acquirer", "b-ref", uuid.Nil)
	f.kAcq = s.Key(f.acq.ID, "events:read", "events:write")
	f.kB = s.Key(f.b.ID, "events:read", "events:write")
	f.kWrite = s.Key(f.acq.ID, "events:write")
	ingest := func(key string, tenant store.Tenant, n int) {
		for i := 0; i < n; i += 20 {
			var evs []map[string]any
			for j := i; j < min(n, i+20); j++ {
				evs = append(evs, map[string]any{"tenant": tenant.ID.String(), "action": fmt.Sprintf("act-%d", j),
					"actor": map[string]any{"type": "user", "id": "u-1", "name": "Åse <&>"}, "metadata": map[string]any{"n": j, "s": "x\ty"},
					"payload": map[string]any{"cpr": "0101701234"}})
			}
			got := s.Ingest(key, evs...)
			if tenant.ID == f.acq.ID {
				f.events = append(f.events, got...)
			}
			f.byTenantID[tenant.ID] += len(got)
		}
	}
	ingest(f.kAcq, f.acq, 100)
	f.cp100 = string(f.get(t, "/v1/ledger/checkpoint", f.kAcq, http.StatusOK).Body)
	ingest(f.kAcq, f.acq, 160)
	ingest(f.kAcq, f.m, 5)
	ingest(f.kB, f.b, 3)

	var keys struct {
		Keys []struct {
			VKey   string `json:"vkey"`
			Active bool   `json:"active"`
		} `json:"keys"`
	}
	f.get(t, "/v1/ledger/keys", f.kAcq, http.StatusOK).JSON(t, &keys)
	if len(keys.Keys) != 1 || !keys.Keys[0].Active {
		t.Fatalf("keys: %+v", keys)
	}
	v, err := note.NewVerifier(keys.Keys[0].VKey)
	if err != nil {
		t.Fatal(err)
	}
	f.verifiers = note.VerifierList(v)
	return f
}

func (f *ledgerFixture) get(t *testing.T, path, key string, want int) *apitest.Response {
	t.Helper()
	r := f.s.Do("GET", path, key, nil)
	if r.Status != want {
		t.Fatalf("GET %s: %d %s, want %d", path, r.Status, r.Body, want)
	}
	return r
}

// open checks a note's signature as a client would, with note alone, and
// parses it.
func (f *ledgerFixture) open(t *testing.T, msg string) ledger.Checkpoint {
	t.Helper()
	n, err := note.Open([]byte(msg), f.verifiers)
	if err != nil {
		t.Fatalf("note %q: %v", msg, err)
	}
	cp, err := ledger.ParseCheckpoint([]byte(n.Text))
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

func hashes(t *testing.T, in []string) []tlog.Hash {
	t.Helper()
	out := make([]tlog.Hash, len(in))
	for i, s := range in {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			t.Fatalf("hash %q: %v", s, err)
		}
		out[i] = tlog.Hash(b)
	}
	return out
}

func TestLedgerRoutes(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := newLedgerFixture(t, engine)
		t.Run("checkpoint", func(t *testing.T) { testCheckpointRoute(t, f) })
		t.Run("checkpoints", func(t *testing.T) { testCheckpointsRoute(t, f) })
		t.Run("inclusion", func(t *testing.T) { testInclusionRoute(t, f) })
		t.Run("consistency", func(t *testing.T) { testConsistencyRoute(t, f) })
		t.Run("export", func(t *testing.T) { testExportRoute(t, f) })
		t.Run("errors", func(t *testing.T) { testLedgerErrors(t, f) })
	})
}

func testCheckpointRoute(t *testing.T, f *ledgerFixture) {
	r := f.get(t, "/v1/ledger/checkpoint", f.kAcq, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	cp := f.open(t, string(r.Body))
	if cp.Size != 260 || cp.Origin != "auditkeep/"+f.acq.ID.String() {
		t.Errorf("latest checkpoint %+v", cp)
	}
	// A descendant by ref, with the parent's key.
	r = f.get(t, "/v1/ledger/checkpoint?tenant=m-ref", f.kAcq, http.StatusOK)
	if cp := f.open(t, string(r.Body)); cp.Size != 5 || !strings.HasSuffix(cp.Origin, f.m.ID.String()) {
		t.Errorf("merchant checkpoint %+v", cp)
	}
	if cp := f.open(t, f.cp100); cp.Size != 100 {
		t.Errorf("first checkpoint %+v", cp)
	}
}

func testCheckpointsRoute(t *testing.T, f *ledgerFixture) {
	if got := string(f.get(t, "/v1/ledger/checkpoints?size=100", f.kAcq, http.StatusOK).Body); got != f.cp100 {
		t.Errorf("checkpoint of size 100 = %q, want %q", got, f.cp100)
	}
	var sizes []int64
	after := int64(0)
	for pages := 0; ; pages++ {
		var page struct {
			Checkpoints []struct {
				Size int64  `json:"size"`
				Root string `json:"root"`
				Time string `json:"time"`
				Note string `json:"note"`
			} `json:"checkpoints"`
			NextAfter *int64 `json:"next_after"`
		}
		f.get(t, fmt.Sprintf("/v1/ledger/checkpoints?limit=2&after=%d", after), f.kAcq, http.StatusOK).JSON(t, &page)
		for _, c := range page.Checkpoints {
			cp := f.open(t, c.Note)
			if cp.Size != c.Size || base64.StdEncoding.EncodeToString(cp.Root[:]) != c.Root || cp.Time.Format(ledger.CheckpointTimeLayout) != c.Time {
				t.Errorf("listed %+v, note says %+v", c, cp)
			}
			if len(sizes) > 0 && c.Size <= sizes[len(sizes)-1] {
				t.Errorf("sizes out of order: %v then %d", sizes, c.Size)
			}
			sizes = append(sizes, c.Size)
		}
		if page.NextAfter == nil {
			break
		}
		if len(page.Checkpoints) != 2 || pages > 100 {
			t.Fatalf("page of %d with next_after %d", len(page.Checkpoints), *page.NextAfter)
		}
		after = *page.NextAfter
	}
	if len(sizes) < 2 || sizes[len(sizes)-1] != 260 {
		t.Errorf("listed sizes %v", sizes)
	}
	var quiet struct {
		Checkpoints []any  `json:"checkpoints"`
		NextAfter   *int64 `json:"next_after"`
	}
	f.get(t, "/v1/ledger/checkpoints?tenant="+f.empty.ID.String(), f.kAcq, http.StatusOK).JSON(t, &quiet)
	if quiet.Checkpoints == nil || len(quiet.Checkpoints) != 0 || quiet.NextAfter != nil {
		t.Errorf("a tenant without events: %+v", quiet)
	}
}

// inclusionAnswer is the inclusion proof JSON as a client decodes it.
type inclusionAnswer struct {
	Tenant     string   `json:"tenant"`
	Origin     string   `json:"origin"`
	Seq        int64    `json:"seq"`
	EventID    int64    `json:"event_id"`
	UUID       string   `json:"uuid"`
	LeafHash   string   `json:"leaf_hash"`
	Size       int64    `json:"size"`
	Root       string   `json:"root"`
	Proof      []string `json:"proof"`
	Checkpoint string   `json:"checkpoint"`
}

// check verifies the proof from the JSON alone: the note's signature, its
// size and root, then tlog.CheckRecord.
func (a *inclusionAnswer) check(t *testing.T, f *ledgerFixture) {
	t.Helper()
	cp := f.open(t, a.Checkpoint)
	root := hashes(t, []string{a.Root})[0]
	if cp.Size != a.Size || cp.Root != root || cp.Origin != a.Origin {
		t.Fatalf("answer states size %d root %s origin %s; its checkpoint %+v", a.Size, a.Root, a.Origin, cp)
	}
	leaf := hashes(t, []string{a.LeafHash})[0]
	if err := tlog.CheckRecord(hashes(t, a.Proof), a.Size, root, a.Seq, leaf); err != nil {
		t.Fatalf("inclusion of %d in %d: %v", a.Seq, a.Size, err)
	}
}

func testInclusionRoute(t *testing.T, f *ledgerFixture) {
	for _, tc := range []struct {
		query    string
		seq      int64
		size     int64 // 0: at least 260
		byEvent  bool
		eventIdx int
	}{
		{query: "seq=0", seq: 0},
		{query: "seq=255", seq: 255},
		{query: "seq=256", seq: 256},
		{query: "seq=259", seq: 259},
		{query: "seq=99&size=100", seq: 99, size: 100},
		{query: "seq=0&size=100", seq: 0, size: 100},
		{byEvent: true, eventIdx: 7, seq: 7},
		{byEvent: true, eventIdx: 257, seq: 257},
	} {
		q := tc.query
		if tc.byEvent {
			e := f.events[tc.eventIdx]
			q = "event=" + e.UUID
			if tc.eventIdx%2 == 1 {
				q = fmt.Sprintf("event=%d", e.ID)
			}
		}
		var a inclusionAnswer
		f.get(t, "/v1/ledger/proof/inclusion?"+q, f.kAcq, http.StatusOK).JSON(t, &a)
		a.check(t, f)
		if a.Seq != tc.seq || (tc.size > 0 && a.Size != tc.size) || (tc.size == 0 && a.Size < 260) || a.Tenant != f.acq.ID.String() {
			t.Errorf("%s: seq %d size %d tenant %s", q, a.Seq, a.Size, a.Tenant)
		}
		// The leaf is the hash of the event as the API returns it.
		e := f.events[tc.seq]
		if tc.byEvent && (a.EventID != e.ID || a.UUID != e.UUID) {
			t.Errorf("%s: names event %d %s, want %d %s", q, a.EventID, a.UUID, e.ID, e.UUID)
		}
		var got event.JSON
		f.get(t, fmt.Sprintf("/v1/events/%d", e.ID), f.kAcq, http.StatusOK).JSON(t, &got)
		ev, err := event.FromExport(&got)
		if err != nil {
			t.Fatal(err)
		}
		if leaf := ledger.LeafHash(&ev); base64.StdEncoding.EncodeToString(leaf[:]) != a.LeafHash {
			t.Errorf("%s: leaf_hash is not the hash of event %d", q, e.ID)
		}
	}
	// A descendant's event, by the parent's key.
	var a inclusionAnswer
	f.get(t, "/v1/ledger/proof/inclusion?tenant=m-ref&seq=4", f.kAcq, http.StatusOK).JSON(t, &a)
	a.check(t, f)
	if a.Tenant != f.m.ID.String() || a.Size != 5 {
		t.Errorf("merchant proof: %+v", a)
	}
}

func testConsistencyRoute(t *testing.T, f *ledgerFixture) {
	for _, q := range []string{"from=100&to=260", "from=100", "from=260&to=260", "from=100&to=100"} {
		var a struct {
			From           int64    `json:"from"`
			To             int64    `json:"to"`
			FromRoot       string   `json:"from_root"`
			ToRoot         string   `json:"to_root"`
			Proof          []string `json:"proof"`
			FromCheckpoint string   `json:"from_checkpoint"`
			ToCheckpoint   string   `json:"to_checkpoint"`
		}
		f.get(t, "/v1/ledger/proof/consistency?"+q, f.kAcq, http.StatusOK).JSON(t, &a)
		older, newer := f.open(t, a.FromCheckpoint), f.open(t, a.ToCheckpoint)
		roots := hashes(t, []string{a.FromRoot, a.ToRoot})
		if older.Size != a.From || newer.Size != a.To || older.Root != roots[0] || newer.Root != roots[1] || a.From != 100 && a.From != 260 {
			t.Fatalf("%s: answer %+v does not match its checkpoints", q, a)
		}
		proof := hashes(t, a.Proof)
		if a.From < a.To {
			if err := tlog.CheckTree(proof, a.To, roots[1], a.From, roots[0]); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		} else if len(proof) != 0 || roots[0] != roots[1] {
			t.Errorf("%s: equal sizes need an empty proof and one root", q)
		}
	}
}

func testExportRoute(t *testing.T, f *ledgerFixture) {
	for _, tc := range []struct {
		query string
		lines int64
	}{
		{"", 260},
		{"?size=100", 100},
		{"?tenant=m-ref", 5},
	} {
		r := f.get(t, "/v1/ledger/export"+tc.query, f.kAcq, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
			t.Errorf("Content-Type %q", ct)
		}
		cpNote, err := base64.StdEncoding.DecodeString(r.Header.Get("Ledger-Checkpoint"))
		if err != nil {
			t.Fatal(err)
		}
		cp := f.open(t, string(cpNote))
		if cp.Size != tc.lines || r.Header.Get("Ledger-Checkpoint-Size") != fmt.Sprint(tc.lines) {
			t.Errorf("export%s: checkpoint of size %d, header %s", tc.query, cp.Size, r.Header.Get("Ledger-Checkpoint-Size"))
		}
		var n int64
		for sc := bufio.NewScanner(bytes.NewReader(r.Body)); sc.Scan(); n++ {
			if !json.Valid(sc.Bytes()) || bytes.Contains(sc.Bytes(), []byte(`"payload"`)) {
				t.Fatalf("line %d: %s", n+1, sc.Bytes())
			}
		}
		rep, err := ledger.VerifyExport(bytes.NewReader(r.Body), cpNote, []string{f.vkey(t)})
		if err != nil || !rep.OK() || n != tc.lines || rep.Verified != tc.lines {
			t.Errorf("export%s: %d lines, %v %s", tc.query, n, err, rep)
		}
	}
}

func (f *ledgerFixture) vkey(t *testing.T) string {
	var keys struct {
		Keys []struct {
			VKey string `json:"vkey"`
		} `json:"keys"`
	}
	f.get(t, "/v1/ledger/keys", f.kB, http.StatusOK).JSON(t, &keys)
	return keys.Keys[0].VKey
}
