package main

import (
	"context"
	"fmt"
	"time"

	"github.com/auditkeep/auditkeep/internal/bench"
)

// BenchExtendedFlags select the measurements beyond the ingest table:
// the rate the indexer sustains, reads under ingest, and a burst.
type BenchExtendedFlags struct {
	Sustain      time.Duration `default:"5m" help:"Length of the sustained-ingest measurement (indexer lag sampled every second); 0 skips it."`
	FirstPage    time.Duration `default:"30s" help:"Length of the first-page measurement while ingest runs at half the sustained rate; 0 skips it."`
	Burst        int           `default:"200000" help:"Events in the burst after which the indexer's lag must return to 0; 0 skips it."`
	BurstWait    time.Duration `default:"2m" help:"Longest wait for the lag to return to 0 after the burst."`
	FirstReaders int           `default:"1" help:"Clients reading the first page back to back."`
}

// extended runs the selected measurements, each on a database of its own.
// batched is the batched ingest rate, the fallback for half the
// sustained rate when the sustained run is skipped.
func (c *BenchIngestCmd) extended(ctx context.Context, env *Env, dbFor func(string) (string, func(), error), batched float64) (bench.Extended, error) {
	var ext bench.Extended
	run := func(name string, f func(s *bench.Server) error) error {
		db, cleanup, err := dbFor(name)
		if err != nil {
			return err
		}
		defer cleanup()
		s, err := bench.StartServer(ctx, db, false)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		return f(s)
	}
	rate := batched
	if c.Sustain > 0 {
		err := run("sustain", func(s *bench.Server) error {
			r, err := bench.Sustain(ctx, s, bench.SustainConfig{Duration: c.Sustain, Clients: 4, Batch: c.Batch, Corpus: c.Corpus})
			ext.Sustain = &r
			return err
		})
		if err != nil {
			return ext, fmt.Errorf("sustained: %w", err)
		}
		rate = ext.Sustain.PerSec
		if ext.Sustain.IndexRate > 0 {
			rate = min(rate, ext.Sustain.IndexRate)
		}
		fmt.Fprintf(env.Stderr, "sustained: %.0f events/s acknowledged, indexer %.0f events/s, lag max %d end %d\n", ext.Sustain.PerSec, ext.Sustain.IndexRate, ext.Sustain.MaxLag, ext.Sustain.EndLag)
	}
	if c.FirstPage > 0 {
		err := run("firstpage", func(s *bench.Server) error {
			r, err := bench.FirstPage(ctx, s, bench.FirstPageConfig{Duration: c.FirstPage, IngestRate: rate / 2, Batch: 100, Corpus: c.Corpus, Readers: c.FirstReaders})
			ext.FirstPage = &r
			return err
		})
		if err != nil {
			return ext, fmt.Errorf("first page: %w", err)
		}
		fmt.Fprintf(env.Stderr, "first page: p99 %s under %.0f events/s\n", ext.FirstPage.P99, ext.FirstPage.IngestRate)
	}
	if c.Burst > 0 {
		err := run("burst", func(s *bench.Server) error {
			r, err := bench.Burst(ctx, s, c.Burst, 4, c.Batch, c.Corpus, c.BurstWait)
			ext.Burst = &r
			return err
		})
		if err != nil {
			return ext, fmt.Errorf("burst: %w", err)
		}
		fmt.Fprintf(env.Stderr, "burst: %d events, lag %d at the end, 0 after %s\n", ext.Burst.Events, ext.Burst.LagAtEnd, ext.Burst.Drain)
	}
	return ext, nil
}
