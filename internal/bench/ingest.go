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
	a, err := app.Open(ctx, app.Config{DB: db, NoLedger: noLedger, MaxBatch: 1000, Log: slog.New(slog.DiscardHandler),
		MasterKey: make([]byte, 32), CheckpointInterval: time.Second})
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
	corpus := NewCorpus(cfg.Seed + 1)
	var bodies [][]byte
	for i := 0; i < cfg.Events; i += cfg.Batch {
		n := min(cfg.Batch, cfg.Events-i)
		var v any
		if cfg.Batch == 1 {
			v = corpus.Event(i)
		} else {
			evs := make([]any, n)
			for j := range evs {
				evs[j] = corpus.Event(i + j)
			}
			v = map[string]any{"events": evs}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return IngestResult{}, err
		}
		bodies = append(bodies, b)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: cfg.Clients, MaxIdleConnsPerHost: cfg.Clients, MaxConnsPerHost: cfg.Clients}}
	lat := make([][]time.Duration, cfg.Clients)
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < cfg.Clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := post(ctx, client, s.URL+"/v1/events", s.Key, bodies[i])
				lat[c] = append(lat[c], time.Since(t0))
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return IngestResult{}, firstErr
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	return IngestResult{Config: cfg, Elapsed: elapsed, PerSec: float64(cfg.Events) / elapsed.Seconds(),
		P50: Percentile(all, 0.50), P99: Percentile(all, 0.99)}, nil
}

func post(ctx context.Context, c *http.Client, url, key string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST /v1/events: %d %s", resp.StatusCode, b)
	}
	return nil
}

// Percentile of sorted durations (nearest rank).
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
