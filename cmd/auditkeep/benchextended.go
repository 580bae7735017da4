package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/bench"
	"github.com/auditkeep/auditkeep/internal/safefile"
)

// BenchExtendedFlags select the measurements beyond the ingest table:
// the rate the indexer sustains, reads under ingest, and a burst.
type BenchExtendedFlags struct {
	Sustain      time.Duration `default:"5m" help:"Length of the sustained-ingest measurement (indexer lag sampled every second); 0 skips it."`
	FirstPage    time.Duration `default:"30s" help:"Length of the first-page measurement while ingest runs at half the sustained rate; 0 skips it."`
	Burst        int           `default:"200000" help:"Events in the burst after which the indexer's lag must return to 0; 0 skips it."`
	BurstWait    time.Duration `default:"2m" help:"Longest wait for the lag to return to 0 after the burst."`
	FirstReaders int           `default:"1" help:"Clients reading the first page back to back."`
	CPUProfile   string        `name:"cpu-profile" help:"Directory to write a CPU profile of each measurement to (ENGINE-CORPUS-MEASUREMENT.pprof), for go tool pprof."`
	FreshDBs     bool          `name:"fresh-dbs" help:"With a PostgreSQL --db: create a fresh database beside it for each measurement, and drop it after."`
}

// profile starts a CPU profile of one measurement when --cpu-profile asks
// for it, and returns what stops it.
func (c *BenchIngestCmd) profile(engine, measurement string) (func(), error) {
	if c.CPUProfile == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(c.CPUProfile, 0o750); err != nil {
		return nil, err
	}
	slug := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(measurement))
	// A rerun replaces its profiles, but never writes through a link.
	f, err := safefile.NewOutput(filepath.Join(c.CPUProfile, fmt.Sprintf("%s-%s-%s.pprof", engine, c.Corpus, strings.Trim(slug[:min(len(slug), 40)], "-"))), true)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Abort()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Commit(); err != nil {
			fmt.Fprintf(os.Stderr, "cpu profile: %v\n", err)
		}
	}, nil
}

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// freshPostgres creates an empty database on the server dsn names, for one
// measurement, and returns its DSN and what drops it.
func freshPostgres(ctx context.Context, dsn, name string) (string, func(), error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, fmt.Errorf("--db: %w", err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", nil, err
	}
	db := fmt.Sprintf("auditkeep_bench_%s_%d", strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(name)), time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	u.Path = "/" + db
	return u.String(), func() {
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)")
		conn.Close(context.Background())
	}, nil
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
		s, err := c.server(ctx, db, func(*app.Config) {})
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		stop, err := c.profile(s.App.Store.Engine(), name)
		if err != nil {
			return err
		}
		defer stop()
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
		fmt.Fprintf(env.Stderr, "sustained: %.0f events/s acknowledged, indexer %.0f events/s, lag max %d end %d, %d refused\n", ext.Sustain.PerSec, ext.Sustain.IndexRate, ext.Sustain.MaxLag, ext.Sustain.EndLag, ext.Sustain.Refused)
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
