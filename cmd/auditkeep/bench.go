package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/bench"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// BenchCmd groups the benchmarks behind docs/BENCHMARKS.md.
type BenchCmd struct {
	Ingest BenchIngestCmd `cmd:"" help:"Measure ingest over HTTP: batches, 64 concurrent clients, one client, and the raw-insert baseline."`
	Query  BenchQueryCmd  `cmd:"" help:"Load a synthetic corpus and measure the query shapes."`
	Ledger BenchLedgerCmd `cmd:"" help:"Measure the ledger: ingest with it on and off, inclusion proofs at a big tree, verification speed."`
}

// BenchIngestCmd measures ingest.
type BenchIngestCmd struct {
	DB         string `help:"Database to write; default a new SQLite file in a temporary directory. Use an empty database."`
	Events     int    `default:"100000" help:"Events per measurement."`
	Batch      int    `default:"500" help:"Events per request in the batched measurement."`
	Clients    int    `default:"64" help:"Concurrent clients in the single-event measurement."`
	Single     int    `default:"2000" help:"Events for the one-client, one-event-per-request measurement."`
	NoLedger   bool   `help:"Also measure with the ledger off."`
	NoKeyCache bool   `help:"Also measure 64 single-event clients with the API key cache off (every request reads its key from the database)."`
	Corpus     string `enum:"realistic,full" default:"full" help:"Events: full (every shared field set in every vendor shape, the worst case) or realistic (each vendor's shape with only the fields its clients fill)."`
	BenchExtendedFlags
	// serve's indexer flags with serve's defaults, so the service measured
	// is the one that runs, its lag bound included.
	IndexFlags
}

// server starts the app on db as serve would run it, adjusted by opt.
func (c *BenchIngestCmd) server(ctx context.Context, db string, opt func(*app.Config)) (*bench.Server, error) {
	return bench.StartServerWith(ctx, db, func(cfg *app.Config) {
		cfg.Index = c.IndexFlags.config()
		cfg.MaxIndexLag, cfg.IndexLagWait = c.MaxIndexLag, c.IndexLagWait
		opt(cfg)
	})
}

// Run implements the command.
func (c *BenchIngestCmd) Run(env *Env) error {
	ctx := env.Ctx
	dbFor := func(name string) (string, func(), error) {
		if c.FreshDBs && isPostgres(c.DB) {
			return freshPostgres(ctx, c.DB, name)
		}
		if c.DB != "" {
			return c.DB, func() {}, nil
		}
		dir, err := os.MkdirTemp(".", "bench-")
		if err != nil {
			return "", nil, err
		}
		return filepath.Join(dir, name+".db"), func() { os.RemoveAll(dir) }, nil
	}
	type run struct {
		name                  string
		events, clients, size int
		noLedger, noKeyCache  bool
	}
	runs := []run{
		{fmt.Sprintf("batched: 4 clients × %d events/request", c.Batch), c.Events, 4, c.Batch, false, false},
		{fmt.Sprintf("%d clients × 1 event/request", c.Clients), c.Events / 2, c.Clients, 1, false, false},
		{"1 client × 1 event/request (one transaction per event)", c.Single, 1, 1, false, false},
	}
	if c.NoLedger {
		runs = append(runs,
			run{fmt.Sprintf("batched, ledger off: 4 clients × %d", c.Batch), c.Events, 4, c.Batch, true, false},
			run{fmt.Sprintf("%d clients × 1, ledger off", c.Clients), c.Events / 2, c.Clients, 1, true, false})
	}
	if c.NoKeyCache {
		runs = append(runs, run{fmt.Sprintf("%d clients × 1, key cache off", c.Clients), c.Events / 2, c.Clients, 1, false, true})
	}
	var rows []bench.Row
	engine := ""
	for _, r := range runs {
		db, cleanup, err := dbFor(strings.Fields(r.name)[0])
		if err != nil {
			return err
		}
		s, err := c.server(ctx, db, func(cfg *app.Config) { cfg.NoLedger, cfg.NoKeyCache = r.noLedger, r.noKeyCache })
		if err != nil {
			cleanup()
			return err
		}
		engine = s.App.Store.Engine()
		stopProfile, err := c.profile(engine, r.name)
		if err != nil {
			s.Close(ctx)
			cleanup()
			return err
		}
		res, err := bench.Ingest(ctx, s, bench.IngestConfig{Events: r.events, Clients: r.clients, Batch: r.size, NoLedger: r.noLedger, Corpus: c.Corpus})
		stopProfile()
		s.Close(ctx)
		cleanup()
		if err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
		note := ""
		if res.Refused > 0 {
			note = fmt.Sprintf("%d 503s (lag bound) retried", res.Refused)
		}
		rows = append(rows, bench.Row{Name: r.name, Events: r.events, Elapsed: res.Elapsed, PerSec: res.PerSec, P50: res.P50, P99: res.P99, Note: note})
		fmt.Fprintf(env.Stderr, "%s: %.0f events/s, %d refused\n", r.name, res.PerSec, res.Refused)
	}
	base, err := c.baseline(ctx, dbFor)
	if err != nil {
		return err
	}
	rows = append(rows, base)
	ext, err := c.extended(ctx, env, dbFor, rows[0].PerSec)
	if err != nil {
		return err
	}
	bound := "off"
	if c.MaxIndexLag > 0 {
		bound = fmt.Sprintf("%d events, wait %s", c.MaxIndexLag, c.IndexLagWait)
	}
	fmt.Fprintf(env.Stdout, "Machine: %s. Engine: %s. Corpus: %s. Index lag bound: %s. Date: %s.\n", bench.Machine(), engine, c.Corpus, bound, time.Now().UTC().Format("2006-01-02"))
	bench.WriteIngestTable(env.Stdout, "Ingest ("+engine+", "+c.Corpus+" corpus)", rows)
	bench.WriteExtended(env.Stdout, "Indexer and reads under ingest ("+engine+", "+c.Corpus+" corpus)", ext)
	return nil
}

// baseline inserts the same number of events straight into the events
// table in one transaction: the store's raw speed on this machine.
func (c *BenchIngestCmd) baseline(ctx context.Context, dbFor func(string) (string, func(), error)) (bench.Row, error) {
	db, cleanup, err := dbFor("baseline")
	if err != nil {
		return bench.Row{}, err
	}
	defer cleanup()
	a, err := app.Open(ctx, app.Config{DB: db, MasterKey: make([]byte, 32), CheckpointInterval: time.Second})
	if err != nil {
		return bench.Row{}, err
	}
	defer a.Close(ctx)
	raw, ok := a.Store.(interface {
		BaselineInsert(context.Context, []event.Event) error
	})
	if !ok {
		return bench.Row{}, fmt.Errorf("%s store has no baseline insert", a.Store.Engine())
	}
	t, err := a.Tenants.Create(ctx, tenant.NewTenant{Name: "baseline"})
	if err != nil {
		return bench.Row{}, err
	}
	evs := bench.Events(t.ID, c.Events)
	start := time.Now()
	if err := raw.BaselineInsert(ctx, evs); err != nil {
		return bench.Row{}, err
	}
	d := time.Since(start)
	return bench.Row{Name: "baseline: raw inserts, one transaction", Events: len(evs), Elapsed: d, PerSec: float64(len(evs)) / d.Seconds(),
		Note: "prepared statement (SQLite) / COPY (PostgreSQL) into the same events table"}, nil
}

// BenchQueryCmd loads a corpus and measures the query shapes.
type BenchQueryCmd struct {
	DB      string `help:"Database to load (use an empty one); default a new SQLite file under ./bench-*/."`
	Events  int64  `default:"1000000" help:"Events to load (10000000 for the documented run)."`
	Tenants int    `default:"100" help:"Tenants; the first holds 20% of the events."`
	Runs    int    `default:"200" help:"Runs per query shape."`
	Keep    bool   `help:"Keep the generated SQLite database."`
	Reuse   bool   `help:"Measure the corpus an earlier run loaded into --db (kept with --keep) instead of loading one."`
}

// Run implements the command.
func (c *BenchQueryCmd) Run(env *Env) error {
	ctx := env.Ctx
	db := c.DB
	if c.Reuse && db == "" {
		return fmt.Errorf("--reuse needs --db: the database an earlier run loaded")
	}
	if db == "" {
		dir, err := os.MkdirTemp(".", "bench-")
		if err != nil {
			return err
		}
		if !c.Keep {
			defer os.RemoveAll(dir)
		}
		db = filepath.Join(dir, "query.db")
	}
	a, err := app.Open(ctx, app.Config{DB: db, MasterKey: make([]byte, 32), CheckpointInterval: time.Second})
	if err != nil {
		return err
	}
	defer a.Close(ctx)
	var l *bench.LoadResult
	if c.Reuse {
		if l, err = bench.Loaded(ctx, a.Store, a.Query); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "measuring the %d events already in %s\n", l.Events, db)
	} else {
		last := time.Now()
		l, err = bench.Load(ctx, a.Store, c.Events, c.Tenants, 5000, func(done int64) {
			if time.Since(last) > 10*time.Second {
				last = time.Now()
				fmt.Fprintf(env.Stderr, "loaded %d events\n", done)
			}
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "loaded %d events in %s (%.0f events/s)\n", l.Events, l.Elapsed.Round(time.Second), float64(l.Events)/l.Elapsed.Seconds())
	}
	// The queries are measured on the indexes, not on the log's tail: fold
	// whatever the running indexer has not reached yet.
	for {
		n, err := a.Store.IndexBatch(ctx, 20000)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	// After a load, and before measuring a reused corpus, whose load may
	// have stopped before its own ANALYZE.
	if err := analyze(ctx, a.Store); err != nil {
		return err
	}
	res, err := bench.RunQueries(ctx, a.Query, l, c.Runs)
	if err != nil {
		return err
	}
	loaded := "reused from an earlier load"
	if !c.Reuse {
		loaded = fmt.Sprintf("loaded through the bulk path at %.0f events/s", float64(l.Events)/l.Elapsed.Seconds())
	}
	fmt.Fprintf(env.Stdout, "Machine: %s. Engine: %s. Corpus: %d events over %d tenants (the big one %d), %s. Date: %s.\n",
		bench.Machine(), a.Store.Engine(), l.Events, len(l.Tenants), l.Counts[0], loaded, time.Now().UTC().Format("2006-01-02"))
	bench.WriteQueryTable(env.Stdout, fmt.Sprintf("Queries at %d events (%s)", l.Events, a.Store.Engine()), res)
	return nil
}

// analyze refreshes the planner's statistics of stores that keep them.
func analyze(ctx context.Context, st any) error {
	if an, ok := st.(interface{ Analyze(context.Context) error }); ok {
		return an.Analyze(ctx)
	}
	return nil
}
