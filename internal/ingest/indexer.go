package ingest

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditkeep/auditkeep/internal/store"
)

// IndexerConfig tunes the indexer.
type IndexerConfig struct {
	// Batch is the most events one index transaction folds (default 5000).
	// Large batches are the point: sorted inserts of thousands of events
	// touch each index page once, where each acknowledged group would
	// touch it again.
	Batch int
	// Delay is how long the indexer lets events gather after a commit
	// nudged it, so that a stream of small groups still makes large
	// batches (default 50ms).
	Delay time.Duration
	// Poll is how often it looks for work without a nudge: events another
	// process committed, or a failed batch to retry (default 1s).
	Poll time.Duration
	Log  *slog.Logger
}

// Indexer folds the log into the query indexes behind the sequencer. The
// acknowledgement does not wait for it: reads merge the part it has not
// reached (store.MergeFind), so its lag costs read time, never
// correctness. Only a lag past the sequencer's MaxIndexLag holds ingest
// back, so that this cost stays bounded.
type Indexer struct {
	st    store.Indexer
	cfg   IndexerConfig
	nudge chan struct{}

	stop context.CancelFunc
	done chan struct{}
	once sync.Once

	// behind is this process's view of the lag in events, kept in memory
	// so that back-pressure never asks the database per group: commits add
	// to it (Committed), folded batches take from it, and a Lag read after
	// each pass resets it unless a commit was counted meanwhile (gen).
	behind atomic.Int64
	gen    atomic.Uint64
	pmu    sync.Mutex
	// progress is closed, and replaced, whenever behind falls.
	progress chan struct{}

	indexed   prometheus.Counter
	lagEvents prometheus.Gauge
	lagSecs   prometheus.Gauge
	errors    prometheus.Counter
}

// NewIndexer starts an indexer over st; Close stops it.
func NewIndexer(st store.Indexer, cfg IndexerConfig, reg prometheus.Registerer) *Indexer {
	if cfg.Batch <= 0 {
		cfg.Batch = 5000
	}
	if cfg.Delay <= 0 {
		cfg.Delay = 50 * time.Millisecond
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	x := &Indexer{
		st: st, cfg: cfg, nudge: make(chan struct{}, 1), done: make(chan struct{}), progress: make(chan struct{}),
		indexed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auditkeep_index_events_total", Help: "Events the indexer folded into the query indexes.",
		}),
		lagEvents: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "auditkeep_index_lag_events", Help: "Acknowledged events not yet in the query indexes.",
		}),
		lagSecs: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "auditkeep_index_lag_seconds", Help: "Age of the oldest acknowledged event not yet in the query indexes.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auditkeep_index_errors_total", Help: "Index batches that failed (they are retried).",
		}),
	}
	if reg != nil {
		reg.MustRegister(x.indexed, x.lagEvents, x.lagSecs, x.errors)
	}
	ctx, stop := context.WithCancel(context.Background())
	x.stop = stop
	go x.run(ctx)
	return x
}

// Lag reports how far the query indexes are behind the log.
func (x *Indexer) Lag(ctx context.Context) (store.Lag, error) { return x.st.Lag(ctx) }

// Behind is this process's view of how many committed events the indexes
// lack. It reads no database: on PostgreSQL with several serve processes
// it counts this process's commits and its own indexer's batches, and is
// set right from the store after every pass that no commit overlapped.
func (x *Indexer) Behind() int64 { return max(0, x.behind.Load()) }

// Progress is closed the next time Behind falls. Take it before reading
// Behind, so that a fall in between is not missed.
func (x *Indexer) Progress() <-chan struct{} {
	x.pmu.Lock()
	defer x.pmu.Unlock()
	return x.progress
}

// Committed counts n newly committed events and nudges the indexer.
func (x *Indexer) Committed(n int) {
	x.gen.Add(1)
	x.behind.Add(int64(n))
	x.Nudge()
}

func (x *Indexer) folded(n int) {
	x.indexed.Add(float64(n))
	x.behind.Add(-int64(n))
	x.signal()
}

func (x *Indexer) signal() {
	x.pmu.Lock()
	close(x.progress)
	x.progress = make(chan struct{})
	x.pmu.Unlock()
}

// refresh sets Behind from the store. A commit counted while the store was
// read may or may not be in what it returned, so then the read is dropped
// and the counted view kept until the next pass.
func (x *Indexer) refresh(ctx context.Context) {
	g := x.gen.Load()
	lag, err := x.st.Lag(ctx)
	if err != nil {
		return
	}
	x.lagEvents.Set(float64(lag.Events))
	x.lagSecs.Set(LagSeconds(lag, time.Now()))
	if x.gen.Load() == g {
		x.behind.Store(lag.Events)
		x.signal()
	}
}

// Nudge tells the indexer that events were committed. It never blocks.
func (x *Indexer) Nudge() {
	select {
	case x.nudge <- struct{}{}:
	default:
	}
}

// Close stops the indexer and folds what is left until the indexes are
// current or ctx ends; anything left then is folded by the next start
// (the marks are in the database).
func (x *Indexer) Close(ctx context.Context) {
	x.once.Do(x.stop)
	<-x.done
	for ctx.Err() == nil {
		n, err := x.st.IndexBatch(ctx, x.cfg.Batch)
		if err != nil || n == 0 {
			return
		}
		x.folded(n)
	}
}

func (x *Indexer) run(ctx context.Context) {
	defer close(x.done)
	poll := time.NewTicker(x.cfg.Poll)
	defer poll.Stop()
	x.refresh(ctx)
	for {
		x.catchUp(ctx)
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		case <-x.nudge:
			select {
			case <-ctx.Done():
				return
			case <-time.After(x.cfg.Delay):
			}
		}
	}
}

// catchUp folds batches until the indexes are current or a batch fails.
func (x *Indexer) catchUp(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := x.st.IndexBatch(ctx, x.cfg.Batch)
		if err != nil {
			if ctx.Err() == nil {
				x.errors.Inc()
				x.cfg.Log.WarnContext(ctx, "index batch failed; retrying at the next poll", slog.Any("err", err))
			}
			break
		}
		x.folded(n)
		if n < x.cfg.Batch {
			break
		}
	}
	if ctx.Err() != nil {
		return
	}
	x.refresh(ctx)
}

// LagSeconds is the age of a lag's oldest event at now, 0 without one.
func LagSeconds(lag store.Lag, now time.Time) float64 {
	if lag.Oldest.IsZero() {
		return 0
	}
	return max(0, now.Sub(lag.Oldest).Seconds())
}
