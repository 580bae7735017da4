package httpapi_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
)

// TestLedgerFresh: with an interval no test reaches, the signer has signed
// the first write's checkpoint and nothing since; ?fresh=true signs one
// covering the whole log at once on the checkpoint, inclusion and export
// routes, while a proof of an event already covered signs nothing.
func TestLedgerFresh(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine, func(c *app.Config) { c.CheckpointInterval = time.Hour })
		key := s.AdminKey
		size := func(note []byte) int64 {
			t.Helper()
			// A checkpoint's text: origin, size, root (docs/ledger.md §4).
			lines := strings.SplitN(string(note), "\n", 3)
			n, err := strconv.ParseInt(lines[min(1, len(lines)-1)], 10, 64)
			if err != nil {
				t.Fatalf("checkpoint %q: %v", note, err)
			}
			return n
		}
		count := func() int {
			t.Helper()
			var out struct{ Checkpoints []json.RawMessage }
			s.Do("GET", "/v1/ledger/checkpoints", key, nil).JSON(t, &out)
			return len(out.Checkpoints)
		}
		s.Ingest(key, map[string]any{"action": "a0"})
		// The first checkpoint: signed by the signer at once, or by this
		// read, since none exists yet.
		if r := s.Do("GET", "/v1/ledger/checkpoint", key, nil); r.Status != 200 || size(r.Body) != 1 {
			t.Fatalf("first checkpoint: %d %s", r.Status, r.Body)
		}
		s.Ingest(key, map[string]any{"action": "a1"})
		if r := s.Do("GET", "/v1/ledger/checkpoint?fresh=true", key, nil); r.Status != 200 || size(r.Body) != 2 {
			t.Fatalf("fresh checkpoint: %d %s", r.Status, r.Body)
		}
		s.Ingest(key, map[string]any{"action": "a2"})
		var proof struct{ Size int64 }
		if r := s.Do("GET", "/v1/ledger/proof/inclusion?seq=1", key, nil); r.Status != 200 {
			t.Fatalf("proof of a covered event: %d %s", r.Status, r.Body)
		} else if r.JSON(t, &proof); proof.Size != 2 {
			t.Fatalf("proof of a covered event against size %d, want the latest, 2", proof.Size)
		}
		if n := count(); n != 2 {
			t.Fatalf("%d checkpoints after proving a covered event, want 2", n)
		}
		if r := s.Do("GET", "/v1/ledger/proof/inclusion?seq=2&fresh=true", key, nil); r.Status != 200 {
			t.Fatalf("fresh proof: %d %s", r.Status, r.Body)
		} else if r.JSON(t, &proof); proof.Size != 3 {
			t.Fatalf("fresh proof against size %d, want 3", proof.Size)
		}
		s.Ingest(key, map[string]any{"action": "a3"})
		r := s.Do("GET", "/v1/ledger/export?fresh=true", key, nil)
		if n, _ := strconv.Atoi(r.Header.Get("Ledger-Checkpoint-Size")); r.Status != 200 || n != 4 || strings.Count(string(r.Body), "\n") != 4 {
			t.Fatalf("fresh export: %d, size %q, %d lines", r.Status, r.Header.Get("Ledger-Checkpoint-Size"), strings.Count(string(r.Body), "\n"))
		}
		for _, q := range []string{"fresh=yes", "fresh=1", "fresh="} {
			if r := s.Do("GET", "/v1/ledger/checkpoint?"+q, key, nil); r.Status != 400 || !strings.Contains(string(r.Body), "fresh") {
				t.Errorf("%s: %d %s, want a 400 naming fresh", q, r.Status, r.Body)
			}
		}
		if r := s.Do("GET", "/v1/ledger/checkpoints?fresh=true", key, nil); r.Status != 400 {
			t.Errorf("fresh on the checkpoint list: %d, want 400 (not a parameter there)", r.Status)
		}
	})
}
