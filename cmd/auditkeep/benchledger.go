package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/auditkeep/auditkeep/internal/bench"
)

// BenchLedgerCmd measures what the ledger costs: ingest with it on and
// off, an event's inclusion proof at a big tree, and verification speed.
type BenchLedgerCmd struct {
	DB         string `help:"Database for the proof and verify measurements (an empty one; PostgreSQL: postgres://…), with --skip-ingest; default new SQLite files under ./bench-*/."`
	Events     int64  `default:"1000000" help:"Events in the big tenant the proofs and verification run on (10000000 for the target's size)."`
	Batch      int    `default:"5000" help:"Events per Append when filling the big tenant."`
	Ingest     int    `default:"50000" help:"Events per ingest measurement."`
	Repeat     int    `default:"3" help:"Ingest measurements per configuration, alternating ledger on and off; the medians are reported."`
	Runs       int    `default:"2000" help:"Proof requests measured."`
	SkipIngest bool   `help:"Only the proof and verify measurements."`
	Reuse      bool   `help:"Measure proofs and verification on the biggest tenant of a corpus that 'auditkeep bench query --keep' loaded into --db, instead of filling a tree."`
	Keep       bool   `help:"Keep the generated SQLite database."`
}

// Run implements the command.
func (c *BenchLedgerCmd) Run(env *Env) error {
	ctx := env.Ctx
	if c.Reuse {
		if c.DB == "" {
			return fmt.Errorf("--reuse needs --db: the database `auditkeep bench query --keep` loaded")
		}
		c.SkipIngest = true
	}
	if c.DB != "" && !c.SkipIngest {
		// A database written with the ledger off cannot be opened with it
		// on again (its events have no leaf hashes), so each ingest run
		// needs a fresh one.
		return fmt.Errorf("--db needs --skip-ingest: the ingest comparison makes a fresh SQLite database per run")
	}
	dir, err := os.MkdirTemp(".", "bench-")
	if err != nil {
		return err
	}
	if !c.Keep {
		defer os.RemoveAll(dir)
	}
	dbFor := func(name string) string {
		if c.DB != "" {
			return c.DB
		}
		return filepath.Join(dir, name+".db")
	}
	var overhead []bench.Overhead
	if !c.SkipIngest {
		if overhead, err = c.ingest(ctx, env, dbFor); err != nil {
			return err
		}
	}

	s, err := bench.StartServer(ctx, dbFor("tree"), false)
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	var tree *bench.LedgerTree
	if c.Reuse {
		l, err := bench.Loaded(ctx, s.App.Store, s.App.Query)
		if err != nil {
			return err
		}
		if tree, err = bench.LoadedTree(ctx, s, l); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "measuring the biggest tenant (%d of %d events in the database)\n", tree.Events, l.Events)
	} else {
		last := time.Now()
		tree, err = bench.FillLedger(ctx, s, c.Events, c.Batch, func(done int64) {
			if time.Since(last) > 10*time.Second {
				last = time.Now()
				fmt.Fprintf(env.Stderr, "filled %d events\n", done)
			}
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "filled %d events in %s\n", tree.Events, tree.Elapsed.Round(time.Second))
	}
	lat, err := bench.ProofLatency(ctx, s, tree, c.Runs)
	if err != nil {
		return err
	}
	speeds, err := bench.VerifySpeed(ctx, s, tree, dir)
	if err != nil {
		return err
	}

	engine := s.App.Store.Engine()
	fmt.Fprintf(env.Stdout, "Machine: %s. Engine: %s. Date: %s. Other processes may have been running on the machine.\n",
		bench.Machine(), engine, time.Now().UTC().Format("2006-01-02"))
	if len(overhead) > 0 {
		bench.WriteOverheadTable(env.Stdout, fmt.Sprintf("Ingest with the ledger on and off (%s, %d events a run, median of %d)", engine, c.Ingest, c.Repeat), overhead, 0.15)
	}
	bench.WriteLatencyTable(env.Stdout, fmt.Sprintf("Inclusion proofs at %d events in one tenant (%s)", tree.Events, engine), lat, time.Millisecond)
	bench.WriteSpeedTable(env.Stdout, fmt.Sprintf("Verification of %d events (%s)", tree.Events, engine), speeds)
	return nil
}

// ingest alternates ledger-on and ledger-off runs of each configuration
// on fresh databases, so drift in the machine's load hits both alike.
func (c *BenchLedgerCmd) ingest(ctx context.Context, env *Env, dbFor func(string) string) ([]bench.Overhead, error) {
	configs := []struct {
		name           string
		clients, batch int
	}{
		{"batched: 4 clients × 500 events/request", 4, 500},
		{"64 clients × 1 event/request", 64, 1},
	}
	var out []bench.Overhead
	for _, cfg := range configs {
		var on, off []float64
		for r := range c.Repeat {
			for _, noLedger := range []bool{false, true} {
				db := dbFor(fmt.Sprintf("ingest-%d-%d-%t", cfg.batch, r, noLedger))
				s, err := bench.StartServer(ctx, db, noLedger)
				if err != nil {
					return nil, err
				}
				res, err := bench.Ingest(ctx, s, bench.IngestConfig{Events: c.Ingest, Clients: cfg.clients, Batch: cfg.batch, NoLedger: noLedger, Seed: uint64(r)})
				s.Close(context.Background())
				files, _ := filepath.Glob(db + "*")
				for _, f := range files {
					os.Remove(f)
				}
				if err != nil {
					return nil, fmt.Errorf("%s: %w", cfg.name, err)
				}
				fmt.Fprintf(env.Stderr, "%s, ledger off %t: %.0f events/s\n", cfg.name, noLedger, res.PerSec)
				if noLedger {
					off = append(off, res.PerSec)
				} else {
					on = append(on, res.PerSec)
				}
			}
		}
		out = append(out, bench.Overhead{Name: cfg.name, On: median(on), Off: median(off)})
	}
	return out, nil
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}
