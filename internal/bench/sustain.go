package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// bodyPool is how many distinct request bodies a long measurement cycles
// through: enough to vary the index keys, few enough to prepare in memory.
const bodyPool = 200000

// LagSample is the indexer's lag at one moment of a measurement.
type LagSample struct {
	At     time.Duration // since the measurement began
	Acked  int64         // events acknowledged by then
	Events int64         // events not indexed yet
}

// SustainConfig is the sustained-ingest measurement: batched clients as
// fast as they are answered, for Duration, sampling the indexer's lag.
type SustainConfig struct {
	Duration time.Duration
	Clients  int
	Batch    int
	Corpus   string
}

// SustainResult is what it found. IndexRate is the rate the indexer kept
// up with: the acknowledged rate less the lag's growth over the second
// half of the run (the first half lets the groups and caches settle).
type SustainResult struct {
	Elapsed   time.Duration
	Acked     int64
	PerSec    float64
	MaxLag    int64
	EndLag    int64
	LagGrowth float64 // events/s over the second half; ≤ 0 is bounded
	IndexRate float64
	Refused   int64 // 503s (the lag bound) answered, each retried
	Samples   []LagSample
}

// Sustain runs cfg against s.
func Sustain(ctx context.Context, s *Server, cfg SustainConfig) (SustainResult, error) {
	bodies, err := Bodies(cfg.Corpus, 7, bodyPool, cfg.Batch)
	if err != nil {
		return SustainResult{}, err
	}
	stop := make(chan struct{})
	var res SustainResult
	var d driven
	var derr error
	done := make(chan struct{})
	start := time.Now()
	counter := &ackCounter{}
	go func() {
		defer close(done)
		d, derr = driveWith(ctx, s, bodies, 0, cfg.Clients, 0, stop, counter.add)
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	deadline := time.After(cfg.Duration)
loop:
	for {
		select {
		case <-tick.C:
			lag, err := s.Lag(ctx)
			if err != nil {
				close(stop)
				<-done
				return res, err
			}
			res.Samples = append(res.Samples, LagSample{At: time.Since(start), Acked: counter.load(), Events: lag})
			res.MaxLag = max(res.MaxLag, lag)
		case <-deadline:
			break loop
		case <-done:
			break loop
		}
	}
	close(stop)
	<-done
	if derr != nil {
		return res, derr
	}
	res.Elapsed = time.Since(start)
	res.Acked, res.Refused = d.acked, d.refused
	res.PerSec = float64(d.acked) / res.Elapsed.Seconds()
	if lag, err := s.Lag(ctx); err == nil {
		res.EndLag = lag
	}
	if n := len(res.Samples); n >= 2 {
		a, b := res.Samples[(n-1)/2], res.Samples[n-1]
		if dt := (b.At - a.At).Seconds(); dt > 0 {
			res.LagGrowth = float64(b.Events-a.Events) / dt
			res.IndexRate = float64(b.Acked-a.Acked)/dt - res.LagGrowth
		}
	}
	return res, nil
}

// ackCounter counts acknowledged events as they come, for lag samples.
type ackCounter struct {
	mu sync.Mutex
	n  int64
}

func (c *ackCounter) add(n int64) { c.mu.Lock(); c.n += n; c.mu.Unlock() }
func (c *ackCounter) load() int64 { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// FirstPageConfig measures the first page of the native list while
// ingest runs at a fixed rate.
type FirstPageConfig struct {
	Duration   time.Duration
	IngestRate float64 // events/s, the background load
	Batch      int
	Corpus     string
	Readers    int
}

// FirstPageResult is what it found. A read the service cut off at its
// deadline (503) counts, with the time it took, in Reads and Refused.
type FirstPageResult struct {
	Reads         int
	Refused       int
	P50, P99      time.Duration
	IngestRate    float64 // achieved
	IngestP99     time.Duration
	IngestCount   int64
	IngestRefused int64 // ingest 503s (the lag bound), each retried
}

// FirstPage runs cfg against s: GET /v1/events (first page, default
// limit) back to back from Readers clients.
func FirstPage(ctx context.Context, s *Server, cfg FirstPageConfig) (FirstPageResult, error) {
	batch := max(cfg.Batch, 1)
	bodies, err := Bodies(cfg.Corpus, 11, min(bodyPool, int(cfg.IngestRate*cfg.Duration.Seconds())+batch), batch)
	if err != nil {
		return FirstPageResult{}, err
	}
	stop := make(chan struct{})
	var ing driven
	var ierr error
	idone := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(idone)
		// Enough clients that a slow answer does not lower the rate.
		ing, ierr = drive(ctx, s, bodies, 0, 16, cfg.IngestRate/float64(batch), stop)
	}()
	readers := max(cfg.Readers, 1)
	lat := make([][]time.Duration, readers)
	refused := make([]int, readers)
	var rerr error
	var once sync.Once
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: readers}}
	defer client.CloseIdleConnections()
	end := start.Add(cfg.Duration)
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) && ctx.Err() == nil {
				t0 := time.Now()
				err := get(ctx, client, s.URL+"/v1/events", s.Key)
				if errors.Is(err, errUnavailable) {
					refused[r]++
				} else if err != nil {
					once.Do(func() { rerr = err })
					return
				}
				lat[r] = append(lat[r], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-idone
	elapsed := time.Since(start)
	if err := firstOf(rerr, ierr); err != nil {
		return FirstPageResult{}, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	n := 0
	for _, k := range refused {
		n += k
	}
	return FirstPageResult{Reads: len(all), Refused: n, P50: Percentile(all, 0.5), P99: Percentile(all, 0.99),
		IngestRate: float64(ing.acked) / elapsed.Seconds(), IngestP99: Percentile(ing.lat, 0.99), IngestCount: ing.acked, IngestRefused: ing.refused}, nil
}

// BurstResult is the lag after a burst of ingest.
type BurstResult struct {
	Events   int64
	Elapsed  time.Duration // of the burst
	PerSec   float64
	LagAtEnd int64         // events not indexed when the last was acknowledged
	Drain    time.Duration // from then until the lag was 0
	Drained  bool          // false: still lagging when the wait gave up
	Refused  int64         // 503s (the lag bound) answered, each retried
}

// Burst sends events as fast as batched clients can, then waits (up to
// wait) for the indexer's lag to reach 0.
func Burst(ctx context.Context, s *Server, events, clients, batch int, corpus string, wait time.Duration) (BurstResult, error) {
	bodies, err := Bodies(corpus, 13, events, batch)
	if err != nil {
		return BurstResult{}, err
	}
	start := time.Now()
	d, err := drive(ctx, s, bodies, len(bodies), clients, 0, nil)
	if err != nil {
		return BurstResult{}, err
	}
	res := BurstResult{Events: d.acked, Elapsed: time.Since(start), Refused: d.refused}
	res.PerSec = float64(d.acked) / res.Elapsed.Seconds()
	t0 := time.Now()
	lag, err := s.Lag(ctx)
	if err != nil {
		return res, err
	}
	res.LagAtEnd = lag
	for {
		if lag == 0 {
			res.Drain, res.Drained = time.Since(t0), true
			return res, nil
		}
		if time.Since(t0) > wait {
			res.Drain = time.Since(t0)
			return res, nil
		}
		time.Sleep(50 * time.Millisecond)
		if lag, err = s.Lag(ctx); err != nil {
			return res, err
		}
	}
}

func get(ctx context.Context, c *http.Client, url, key string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusServiceUnavailable:
		return fmt.Errorf("GET %s: %w: %s", url, errUnavailable, b)
	}
	return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
}

// errUnavailable is a read the service refused with 503 (its deadline).
var errUnavailable = errors.New("503")

func firstOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
