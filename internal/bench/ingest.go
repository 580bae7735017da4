package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// IngestConfig is one ingest measurement.
type IngestConfig struct {
	DB       string // database to write (fresh is best)
	Events   int    // events to send in all
	Clients  int    // concurrent HTTP clients
	Batch    int    // events per request (1 = single events)
	NoLedger bool
	Seed     uint64
	Corpus   string // CorpusFull (default) or CorpusRealistic
}

// IngestResult is what one measurement found.
type IngestResult struct {
	Config   IngestConfig
	Elapsed  time.Duration
	PerSec   float64
	P50, P99 time.Duration // per request
}

// Server is an app served on a loopback port for a benchmark.
type Server struct {
	App *app.App
	URL string
	Key string // events:read + events:write key of a fresh tenant
	hs  *http.Server
}

// StartServer opens the app on db and serves it on 127.0.0.1:0.
func StartServer(ctx context.Context, db string, noLedger bool) (*Server, error) {
	return StartServerWith(ctx, db, func(c *app.Config) { c.NoLedger = noLedger })
}

// StartServerWith is StartServer with the configuration adjusted by opt.
func StartServerWith(ctx context.Context, db string, opt func(*app.Config)) (*Server, error) {
	cfg := app.Config{DB: db, MaxBatch: 1000, Log: slog.New(slog.DiscardHandler), MasterKey: make([]byte, 32), CheckpointInterval: time.Second}
	opt(&cfg)
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	t, err := a.Tenants.Create(ctx, tenant.NewTenant{Name: fmt.Sprintf("bench %s", time.Now().Format(time.RFC3339Nano)), Kind: "bench"})
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	key, _, err := a.Tenants.CreateKey(ctx, tenant.NewKey{Tenant: t.ID.String(), Scopes: []string{"events:write", "events:read"}})
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	s := &Server{App: a, URL: "http://" + ln.Addr().String(), Key: key, hs: &http.Server{Handler: a.Handler()}}
	go s.hs.Serve(ln)
	return s, nil
}

// Close stops the server and the app.
func (s *Server) Close(ctx context.Context) error {
	s.hs.Shutdown(ctx)
	return s.App.Close(ctx)
}

// Ingest measures cfg against a running server.
func Ingest(ctx context.Context, s *Server, cfg IngestConfig) (IngestResult, error) {
	if cfg.Batch < 1 {
		cfg.Batch = 1
	}
	if cfg.Clients < 1 {
		cfg.Clients = 1
	}
	// Bodies are made before the clock starts: we time the server, not
	// the JSON encoder of the client.
	bodies, err := Bodies(cfg.Corpus, cfg.Seed, cfg.Events, cfg.Batch)
	if err != nil {
		return IngestResult{}, err
	}
	start := time.Now()
	lat, _, err := drive(ctx, s, bodies, len(bodies), cfg.Clients, 0, nil)
	elapsed := time.Since(start)
	if err != nil {
		return IngestResult{}, err
	}
	return IngestResult{Config: cfg, Elapsed: elapsed, PerSec: float64(cfg.Events) / elapsed.Seconds(),
		P50: Percentile(lat, 0.50), P99: Percentile(lat, 0.99)}, nil
}

// Bodies makes the request bodies of n events of the named corpus, batch
// events each (a bare event when batch is 1).
func Bodies(corpus string, seed uint64, n, batch int) ([][]byte, error) {
	c, err := NewNamedCorpus(corpus, seed+1)
	if err != nil {
		return nil, err
	}
	batch = max(batch, 1)
	var bodies [][]byte
	for i := 0; i < n; i += batch {
		k := min(batch, n-i)
		var v any
		if batch == 1 {
			v = c.Event(i)
		} else {
			evs := make([]any, k)
			for j := range evs {
				evs[j] = c.Event(i + j)
			}
			v = map[string]any{"events": evs}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		bodies = append(bodies, b)
	}
	return bodies, nil
}

// drive posts requests from clients goroutines, body i%len(bodies) for
// the i-th, until requests have been sent (0: no bound) or stop closes.
// With perSec > 0 the requests start at that rate in all (an open loop, as
// independent producers send), else each client sends as fast as it is
// answered. It returns the sorted per-request latencies and the events
// acknowledged.
func drive(ctx context.Context, s *Server, bodies [][]byte, requests, clients int, perSec float64, stop <-chan struct{}) ([]time.Duration, int64, error) {
	return driveWith(ctx, s, bodies, requests, clients, perSec, stop, nil)
}

// driveWith is drive that also tells onAck of each acknowledgement.
func driveWith(ctx context.Context, s *Server, bodies [][]byte, requests, clients int, perSec float64, stop <-chan struct{}, onAck func(int64)) ([]time.Duration, int64, error) {
	clients = max(clients, 1)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	lat := make([][]time.Duration, clients)
	var next, acked atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if (requests > 0 && i >= requests) || ctx.Err() != nil {
					return
				}
				if perSec > 0 {
					at := start.Add(time.Duration(float64(i) / perSec * float64(time.Second)))
					if d := time.Until(at); d > 0 {
						select {
						case <-time.After(d):
						case <-stop:
							return
						}
					}
				}
				select {
				case <-stop:
					return
				default:
				}
				t0 := time.Now()
				n, err := post(ctx, client, s.URL+"/v1/events", s.Key, bodies[i%len(bodies)])
				lat[c] = append(lat[c], time.Since(t0))
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				acked.Add(int64(n))
				if onAck != nil {
					onAck(int64(n))
				}
			}
		}()
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	return all, acked.Load(), firstErr
}

// post sends one ingest request and returns how many events it
// acknowledged.
func post(ctx context.Context, c *http.Client, url, key string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("POST /v1/events: %d %s", resp.StatusCode, b)
	}
	// A batch answers {"events": [...]}, a single event the event itself.
	var batch struct {
		Events []json.RawMessage `json:"events"`
	}
	if json.Unmarshal(b, &batch) == nil && batch.Events != nil {
		return len(batch.Events), nil
	}
	return 1, nil
}

// Percentile of sorted durations (nearest rank).
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
