package bench_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/bench"
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
	// The corpus must be valid input, or every benchmark measures errors.
	s, err := bench.StartServer(context.Background(), filepath.Join(t.TempDir(), "c.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if _, err := bench.Ingest(context.Background(), s, bench.IngestConfig{Events: 200, Clients: 2, Batch: 50}); err != nil {
		t.Fatal(err)
	}
}
