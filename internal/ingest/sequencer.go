package ingest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// SequencerConfig tunes group commit.
type SequencerConfig struct {
	// MaxGroupEvents caps the events of one group (default 10,000). A
	// request larger than this still goes alone in one group.
	MaxGroupEvents int
	// QueueSize is how many requests may wait (default 8,192).
	QueueSize int
	// CommitTimeout bounds one group's transaction (default 30s).
	CommitTimeout time.Duration
	// AfterCommit, when set, runs after each committed group has been
	// answered, before the next group commits; it must be cheap (the
	// ledger's signer and the indexer are only woken here).
	AfterCommit func(ctx context.Context, reqs []store.AppendRequest, res []store.AppendResult)
	// IndexLag, with MaxIndexLag > 0, is the indexer's lag that bounds
	// ingest: while it is above MaxIndexLag events a group is held back
	// instead of committed, until the indexer catches up. A request held
	// for IndexLagWait (default 2s) is refused as unavailable with nothing
	// written. Reads merge the not-yet-indexed tail in Go, so without the
	// bound a writer flat out makes every reader slower
	// (docs/BENCHMARKS.md); the bound keeps that tail small.
	IndexLag     IndexLag
	MaxIndexLag  int64
	IndexLagWait time.Duration
}

// IndexLag is what back-pressure reads: the lag in events, and a channel
// closed when it next falls. Indexer implements it from memory.
type IndexLag interface {
	Behind() int64
	Progress() <-chan struct{}
	// Nudge asks for a pass now: it also resets Behind from the store,
	// which is what frees a process whose view is stale (another
	// process's indexer folded its events).
	Nudge()
}

// Sequencer commits requests in groups.
type Sequencer struct {
	st      store.Store
	cfg     SequencerConfig
	metrics *Metrics

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	queue  chan *pending
	done   chan struct{}
}

type pending struct {
	ctx  context.Context
	req  store.AppendRequest
	done chan outcome
	// deadline is when back-pressure gives up on holding this request.
	deadline time.Time
}

type outcome struct {
	res store.AppendResult
	err error
}

// NewSequencer starts a sequencer over st. Close stops it.
func NewSequencer(st store.Store, cfg SequencerConfig, m *Metrics) *Sequencer {
	if cfg.MaxGroupEvents <= 0 {
		cfg.MaxGroupEvents = 10000
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 8192
	}
	if cfg.CommitTimeout <= 0 {
		cfg.CommitTimeout = 30 * time.Second
	}
	if cfg.IndexLagWait <= 0 {
		cfg.IndexLagWait = 2 * time.Second
	}
	if cfg.IndexLag == nil {
		cfg.MaxIndexLag = 0
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	s := &Sequencer{st: st, cfg: cfg, metrics: m, queue: make(chan *pending, cfg.QueueSize), done: make(chan struct{})}
	go s.run()
	return s
}

// Submit queues one request and waits until it is committed or failed. The
// result is final: an event reported committed is durable.
func (s *Sequencer) Submit(ctx context.Context, req store.AppendRequest) (store.AppendResult, error) {
	p := &pending{ctx: ctx, req: req, done: make(chan outcome, 1)}
	if s.cfg.MaxIndexLag > 0 {
		p.deadline = time.Now().Add(s.cfg.IndexLagWait)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return store.AppendResult{}, fmt.Errorf("%w: shutting down", event.ErrUnavailable)
	}
	select {
	case s.queue <- p:
		s.metrics.queueDepth.Inc()
	case <-ctx.Done():
		s.mu.RUnlock()
		return store.AppendResult{}, ctx.Err()
	}
	s.mu.RUnlock()
	// Once queued, the request will be committed or failed; wait for which,
	// so the caller never reports a committed event as lost.
	o := <-p.done
	return o.res, o.err
}

// Close stops taking requests, commits the ones queued and returns when the
// last group is done or ctx ends.
func (s *Sequencer) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sequencer drain: %w", ctx.Err())
	}
}

func (s *Sequencer) run() {
	defer close(s.done)
	var group []*pending
	for first := range s.queue {
		group = append(group[:0], first)
		n := len(first.req.Events)
		// What queued while the last group committed is the next group.
		// It is gathered only now, not while that commit ran: a goroutine
		// taking each request as it arrives costs a wake-up per request,
		// which on a CPU-bound machine slowed 64 single-event clients
		// (docs/BENCHMARKS.md), and the store's append does its reads and
		// planning inside its transaction, so there is nothing else to
		// prepare ahead.
	fill:
		for n < s.cfg.MaxGroupEvents {
			select {
			case p, ok := <-s.queue:
				if !ok {
					break fill
				}
				group = append(group, p)
				n += len(p.req.Events)
			default:
				break fill
			}
		}
		s.metrics.queueDepth.Sub(float64(len(group)))
		if group = s.hold(group); len(group) == 0 {
			continue
		}
		n = 0
		for _, p := range group {
			n += len(p.req.Events)
		}
		s.commit(group, n)
	}
}

// hold waits while the indexer is more than MaxIndexLag events behind,
// woken by its progress, and returns the requests still to commit: those
// whose context ended or whose IndexLagWait passed are answered here, with
// nothing written. Checked before every group, it keeps the lag within
// MaxIndexLag plus one group.
func (s *Sequencer) hold(group []*pending) []*pending {
	lim := s.cfg.MaxIndexLag
	if lim <= 0 {
		return group
	}
	progress := s.cfg.IndexLag.Progress()
	if s.cfg.IndexLag.Behind() <= lim {
		return group
	}
	s.metrics.heldGroups.Inc()
	s.cfg.IndexLag.Nudge()
	// A held request whose client gives up wakes the hold, so that it is
	// answered at once and not at its deadline.
	wake := make(chan struct{}, 1)
	for _, p := range group {
		stop := context.AfterFunc(p.ctx, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
		defer stop()
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		kept := group[:0]
		var next time.Time
		for _, p := range group {
			switch {
			case p.ctx.Err() != nil:
				p.done <- outcome{err: p.ctx.Err()}
			case !now.Before(p.deadline):
				s.metrics.refused.Inc()
				p.done <- outcome{err: &event.FieldError{Kind: event.ErrUnavailable, Message: fmt.Sprintf(
					"ingest is held back: the query indexes are more than %d events behind the log; retry later", lim)}}
			default:
				kept = append(kept, p)
				if next.IsZero() || p.deadline.Before(next) {
					next = p.deadline
				}
			}
		}
		group = kept
		if len(group) == 0 {
			return nil
		}
		timer.Reset(next.Sub(now))
		select {
		case <-progress:
		case <-wake:
		case <-timer.C:
		}
		progress = s.cfg.IndexLag.Progress()
		if s.cfg.IndexLag.Behind() <= lim {
			return group
		}
	}
}

func (s *Sequencer) commit(group []*pending, n int) {
	s.metrics.groupRequests.Observe(float64(len(group)))
	s.metrics.groupEvents.Observe(float64(n))
	reqs := make([]store.AppendRequest, len(group))
	for i, p := range group {
		reqs[i] = p.req
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.CommitTimeout)
	defer cancel()
	start := time.Now()
	res, err := s.st.Append(ctx, reqs)
	s.metrics.commitSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		s.metrics.commitErrors.Inc()
		for _, p := range group {
			p.done <- outcome{err: err}
		}
		return
	}
	for i, p := range group {
		p.done <- outcome{res: res[i]}
	}
	if s.cfg.AfterCommit != nil {
		s.cfg.AfterCommit(ctx, reqs, res)
	}
}

// Metrics are the sequencer's Prometheus collectors.
type Metrics struct {
	queueDepth    prometheus.Gauge
	groupRequests prometheus.Histogram
	groupEvents   prometheus.Histogram
	commitSeconds prometheus.Histogram
	commitErrors  prometheus.Counter
	heldGroups    prometheus.Counter
	refused       prometheus.Counter
}

// NewMetrics makes the collectors and registers them with reg, if not nil.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "auditkeep_ingest_queue_depth", Help: "Ingest requests waiting for the sequencer.",
		}),
		groupRequests: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "auditkeep_ingest_group_requests", Help: "Requests committed together in one group.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
		groupEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "auditkeep_ingest_group_events", Help: "Events committed together in one group (batch size).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 15),
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "auditkeep_ingest_commit_seconds", Help: "Time to commit one group.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auditkeep_ingest_commit_errors_total", Help: "Groups whose commit failed as a whole.",
		}),
		heldGroups: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auditkeep_ingest_backpressure_held_groups_total", Help: "Groups held back because the indexer was more than --max-index-lag events behind.",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auditkeep_ingest_backpressure_refused_total", Help: "Requests refused (503) after waiting --index-lag-wait for the indexer to catch up.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.queueDepth, m.groupRequests, m.groupEvents, m.commitSeconds, m.commitErrors, m.heldGroups, m.refused)
	}
	return m
}
