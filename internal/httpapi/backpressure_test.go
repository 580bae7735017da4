package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/ingest"
)

// stalled is an indexer that folds nothing after its first pass.
func stalled(maxLag int64) apitest.Option {
	return func(c *app.Config) {
		c.Index = ingest.IndexerConfig{Delay: time.Hour, Poll: time.Hour}
		c.MaxIndexLag, c.IndexLagWait = maxLag, 10*time.Millisecond
	}
}

// With the indexer stalled and --max-index-lag 4, ingest past the bound is
// a native 503 with Retry-After, and nothing of the refused batch is
// stored; with the bound off the same stall refuses nothing.
func TestIngestBackpressure(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine, stalled(4))
		batch := map[string]any{"events": []map[string]any{{"action": "a"}, {"action": "b"}, {"action": "c"}}}
		var r *apitest.Response
		// The indexer's first pass may fold the first batch; after it, the
		// lag only grows, so the third batch at the latest is held.
		for i := 0; i < 5; i++ {
			before := s.Count()
			r = s.Do("POST", "/v1/events", s.AdminKey, batch)
			if r.Status == http.StatusCreated {
				continue
			}
			if got := s.Count(); got != before {
				t.Errorf("refused batch stored %d events", got-before)
			}
			break
		}
		if r.Status != http.StatusServiceUnavailable {
			t.Fatalf("ingest past the bound: %d %s, want 503", r.Status, r.Body)
		}
		if r.Header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		r.JSON(t, &body)
		if body.Error.Code != "unavailable" || !strings.Contains(body.Error.Message, "behind") {
			t.Errorf("503 body %s, want code unavailable and a message about the index lag", r.Body)
		}

		off := apitest.New(t, engine, stalled(0))
		for i := 0; i < 5; i++ {
			if r := off.Do("POST", "/v1/events", off.AdminKey, batch); r.Status != http.StatusCreated {
				t.Fatalf("bound off, batch %d: %d %s", i, r.Status, r.Body)
			}
		}
		if got := off.Count(); got != 15 {
			t.Errorf("bound off stored %d events, want 15", got)
		}
	})
}
