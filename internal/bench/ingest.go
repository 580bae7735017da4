package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
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
	P50, P99 time.Duration // per request, from the first try to the 201
	Refused  int64         // 503s answered, each retried
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
	d, err := drive(ctx, s, bodies, len(bodies), cfg.Clients, 0, nil)
	elapsed := time.Since(start)
	if err != nil {
		return IngestResult{}, err
	}
	return IngestResult{Config: cfg, Elapsed: elapsed, PerSec: float64(cfg.Events) / elapsed.Seconds(),
		P50: Percentile(d.lat, 0.50), P99: Percentile(d.lat, 0.99), Refused: d.refused}, nil
}

// keyTag stands in every body for the part of each event's idempotency
// key that drive fills per request: a body sent again when the pool
// cycles is new events, a retried one the same events.
const keyTag = "################"

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
		event := func(i int) map[string]any {
			e := c.Event(i)
			e["idempotency_key"] = fmt.Sprintf("bench-%s-%d", keyTag, i)
			return e
		}
		var v any
		if batch == 1 {
			v = event(i)
		} else {
			evs := make([]any, k)
			for j := range evs {
				evs[j] = event(i + j)
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

// driven is what drive measured: the sorted per-request latencies (from
// the first try to the acknowledgement), the events acknowledged, and the
// 503s the clients were answered and retried.
type driven struct {
	lat     []time.Duration
	acked   int64
	refused int64
}

// drive posts requests from clients goroutines, body i%len(bodies) for
// the i-th, until requests have been sent (0: no bound) or stop closes.
// With perSec > 0 the requests start at that rate in all (an open loop, as
// independent producers send), else each client sends as fast as it is
// answered. A 503 (the indexer's lag bound, or any other refusal with
// nothing written) is retried after its Retry-After with the same body, so
// the same idempotency keys: as a real client must, and no event twice.
func drive(ctx context.Context, s *Server, bodies [][]byte, requests, clients int, perSec float64, stop <-chan struct{}) (driven, error) {
	return driveWith(ctx, s, bodies, requests, clients, perSec, stop, nil)
}

// driveWith is drive that also tells onAck of each acknowledgement.
func driveWith(ctx context.Context, s *Server, bodies [][]byte, requests, clients int, perSec float64, stop <-chan struct{}, onAck func(int64)) (driven, error) {
	clients = max(clients, 1)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	lat := make([][]time.Duration, clients)
	var next, acked, refused atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	// Keys differ between runs, so runs against one database never meet
	// each other's keys.
	run := rand.Uint64()
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
				body := bytes.ReplaceAll(bodies[i%len(bodies)], []byte(keyTag), fmt.Appendf(nil, "%016x", run+uint64(i/len(bodies))))
				t0 := time.Now()
				var n int
				var err error
				for {
					var wait time.Duration
					n, wait, err = post(ctx, client, s.URL+"/v1/events", s.Key, body)
					if !errors.Is(err, errUnavailable) {
						break
					}
					refused.Add(1)
					select {
					case <-time.After(wait):
						continue
					case <-stop:
					case <-ctx.Done():
					}
					return
				}
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
	return driven{lat: all, acked: acked.Load(), refused: refused.Load()}, firstErr
}

// post sends one ingest request and returns how many events it
// acknowledged, or errUnavailable and how long its Retry-After asks to
// wait (a second when it names none).
func post(ctx context.Context, c *http.Client, url, key string, body []byte) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusServiceUnavailable {
		wait := time.Second
		if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n >= 0 {
			wait = time.Duration(n) * time.Second
		}
		return 0, wait, fmt.Errorf("POST /v1/events: %w: %s", errUnavailable, b)
	}
	if resp.StatusCode != http.StatusCreated {
		return 0, 0, fmt.Errorf("POST /v1/events: %d %s", resp.StatusCode, b)
	}
	// A batch answers {"events": [...]}, a single event the event itself.
	var batch struct {
		Events []json.RawMessage `json:"events"`
	}
	if json.Unmarshal(b, &batch) == nil && batch.Events != nil {
		return len(batch.Events), 0, nil
	}
	return 1, 0, nil
}

// Percentile of sorted durations (nearest rank).
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
