package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/bench"
	"github.com/auditkeep/auditkeep/internal/ingest"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The Go benchmarks time b.N events through the whole HTTP path; `auditkeep
// bench ingest` runs the larger, fixed-size measurements of
// docs/BENCHMARKS.md.
func benchIngest(b *testing.B, engine string, clients, batch int, noLedger bool) {
	db := filepath.Join(b.TempDir(), "bench.db")
	if engine == "postgres" {
		db = apitest.DB(b, engine)
	}
	ctx := context.Background()
	s, err := bench.StartServer(ctx, db, noLedger)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	b.ResetTimer()
	res, err := bench.Ingest(ctx, s, bench.IngestConfig{Events: b.N, Clients: clients, Batch: batch, NoLedger: noLedger})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.PerSec, "events/s")
	b.ReportMetric(float64(res.P99.Microseconds()), "p99-µs/req")
}

func BenchmarkIngest(b *testing.B) {
	for _, engine := range apitest.Engines {
		b.Run(engine+"/batch500", func(b *testing.B) { benchIngest(b, engine, 4, 500, false) })
		b.Run(engine+"/64clients", func(b *testing.B) { benchIngest(b, engine, 64, 1, false) })
		b.Run(engine+"/1client", func(b *testing.B) { benchIngest(b, engine, 1, 1, false) })
	}
}

func TestCorpusIngests(t *testing.T) {
	// Both corpora must be valid input, or every benchmark measures errors.
	for _, corpus := range []string{bench.CorpusFull, bench.CorpusRealistic} {
		t.Run(corpus, func(t *testing.T) {
			t.Parallel()
			s, err := bench.StartServer(context.Background(), filepath.Join(t.TempDir(), "c.db"), false)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(context.Background())
			if _, err := bench.Ingest(context.Background(), s, bench.IngestConfig{Events: 200, Clients: 2, Batch: 50, Corpus: corpus}); err != nil {
				t.Fatal(err)
			}
			if _, err := bench.Ingest(context.Background(), s, bench.IngestConfig{Events: 20, Clients: 2, Batch: 1, Corpus: corpus}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := bench.NewNamedCorpus("everything", 1); err == nil {
		t.Error("an unknown corpus name was accepted")
	}
}

// TestRealisticCorpusIsSparse: each vendor's shape leaves empty the
// fields that vendor's clients do not send, so indexes that skip empty
// values are measured as they will be used.
func TestRealisticCorpusIsSparse(t *testing.T) {
	t.Parallel()
	c, err := bench.NewNamedCorpus(bench.CorpusRealistic, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 400 {
		e := c.Event(i)
		for _, f := range []string{"channel", "source", "reason", "details", "payload"} {
			if _, ok := e[f]; ok {
				t.Fatalf("event %d (shape %d) sets %s", i, i%4, f)
			}
		}
		want := [][]string{
			{"category", "external_ref", "context", "summary"},
			{"actor", "targets", "changes"},
			{"request_id", "subject", "labels", "metadata"},
			{"actor", "targets", "session_id"},
		}[i%4]
		if len(e) != len(want)+2 { // + occurred_at, action
			t.Fatalf("event %d (shape %d) has fields %v, want %v", i, i%4, keys(e), want)
		}
		for _, f := range want {
			if _, ok := e[f]; !ok {
				t.Fatalf("event %d (shape %d) lacks %s", i, i%4, f)
			}
		}
	}
	full := bench.NewCorpus(1).Event(0)
	if _, ok := full["labels"]; !ok {
		t.Error("the full corpus lost its labels")
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestExtendedMeasurements runs each extended measurement briefly: they
// must finish and report what they measured.
func TestExtendedMeasurements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := bench.StartServer(ctx, filepath.Join(t.TempDir(), "x.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	sus, err := bench.Sustain(ctx, s, bench.SustainConfig{Duration: 2500 * time.Millisecond, Clients: 2, Batch: 50, Corpus: bench.CorpusRealistic})
	if err != nil || sus.Acked == 0 || len(sus.Samples) == 0 || sus.IndexRate <= 0 {
		t.Fatalf("sustain: %+v, %v", sus, err)
	}
	fp, err := bench.FirstPage(ctx, s, bench.FirstPageConfig{Duration: time.Second, IngestRate: 200, Batch: 10, Corpus: bench.CorpusRealistic})
	if err != nil || fp.Reads == 0 || fp.P99 == 0 || fp.IngestCount == 0 {
		t.Fatalf("first page: %+v, %v", fp, err)
	}
	b, err := bench.Burst(ctx, s, 500, 2, 50, bench.CorpusFull, 30*time.Second)
	if err != nil || b.Events != 500 || !b.Drained {
		t.Fatalf("burst: %+v, %v", b, err)
	}
}

// TestIngestRetriesTheLagBound: with a lag bound the indexer cannot stay
// under, ingest is refused with 503; the clients retry with the same
// idempotency keys, so the run completes, reports the refusals, and
// stores every event exactly once.
func TestIngestRetriesTheLagBound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := bench.StartServerWith(ctx, filepath.Join(t.TempDir(), "lag.db"), func(c *app.Config) {
		c.MaxIndexLag, c.IndexLagWait = 1, time.Millisecond
		c.Index = ingest.IndexerConfig{Delay: 200 * time.Millisecond}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	const events = 200
	res, err := bench.Ingest(ctx, s, bench.IngestConfig{Events: events, Clients: 4, Batch: 50, Corpus: bench.CorpusRealistic})
	if err != nil {
		t.Fatal(err)
	}
	if res.Refused == 0 {
		t.Fatal("no request was refused under a lag bound of 1 event")
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/v1/events?count=exact&limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+s.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Total *int64 `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK || page.Total == nil {
		t.Fatalf("count: %d, %v", resp.StatusCode, err)
	}
	if *page.Total != events {
		t.Fatalf("%d events stored after %d refusals, want %d", *page.Total, res.Refused, events)
	}
	var out bytes.Buffer
	bench.WriteExtended(&out, "x", bench.Extended{Burst: &bench.BurstResult{Events: events, Drained: true, Refused: res.Refused}})
	if want := fmt.Sprintf("%d ingest 503s (lag bound) retried", res.Refused); !strings.Contains(out.String(), want) {
		t.Errorf("the report does not say %q:\n%s", want, out.String())
	}
}
