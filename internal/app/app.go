package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/compat/auditply"
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/compat/fortuna"
	"github.com/auditkeep/auditkeep/internal/compat/frankieone"
	"github.com/auditkeep/auditkeep/internal/compat/moyasar"
	"github.com/auditkeep/auditkeep/internal/httpapi"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/ingest"
	"github.com/auditkeep/auditkeep/internal/notary"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// Config is the service's configuration.
type Config struct {
	DB       string
	NoLedger bool
	MaxBody  int64
	MaxBatch int
	// MaxEventBytes bounds one event's stored size; 0 is the default.
	MaxEventBytes int
	Log           *slog.Logger
	// Read bounds every read (query.Limits; zero fields take defaults).
	Read query.Limits
	// ExportWriteTimeout bounds one write of an export to its client.
	ExportWriteTimeout time.Duration
	// Query bounds every route's query string (zero fields take
	// httpx's defaults).
	Query httpx.QueryLimits

	// MasterKey seals the ledger's signing keys in the store; when nil it
	// is read from (or made in) MasterKeyFile.
	MasterKey     []byte
	MasterKeyFile string
	// SignerKey is a checkpoint signing key given by config (note format);
	// it replaces the sealed keys.
	SignerKey string
	// CheckpointInterval is the most time from a commit to the checkpoint
	// covering it; 0 signs after every commit.
	CheckpointInterval time.Duration
	// LogName starts every tenant's ledger origin.
	LogName string
	// KeyCache bounds the in-memory cache of API keys (zero: defaults).
	KeyCache   auth.CacheConfig
	NoKeyCache bool
	// Index tunes the indexer that folds the log into the query indexes.
	Index ingest.IndexerConfig
	// MaxIndexLag bounds the indexer's lag in events: past it ingest is
	// held back, and refused after IndexLagWait (ingest.SequencerConfig).
	// 0 turns the bound off.
	MaxIndexLag  int64
	IndexLagWait time.Duration
}

// App is a running service without its listener.
type App struct {
	Store   store.Store
	Tenants *tenant.Service
	Query   *query.Engine
	Read    *query.Service
	Ingest  *ingest.Service
	HTTP    *httpapi.Server
	Notary  *notary.Notary // nil with the ledger off
	seq     *ingest.Sequencer
	indexer *ingest.Indexer
	stop    context.CancelFunc
	done    chan struct{}
	// watching is closed when the key cache has stopped watching the store
	// (nil without a cache).
	watching chan struct{}
}

// Open opens the database (migrating it) and builds the service.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	st, err := OpenStore(ctx, cfg.DB, StoreOptions{NoLedger: cfg.NoLedger})
	if err != nil {
		return nil, err
	}
	a, err := build(ctx, cfg, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

func build(ctx context.Context, cfg Config, st store.Store) (*App, error) {
	cursorKey, err := st.Secret(ctx, "cursor-hmac", RandomBytes(32))
	if err != nil {
		return nil, fmt.Errorf("cursor key: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a := &App{Store: st, Tenants: &tenant.Service{Store: st}, Query: query.New(st, cursorKey), done: make(chan struct{})}
	var seqCfg ingest.SequencerConfig
	if !cfg.NoLedger {
		master := cfg.MasterKey
		if master == nil && cfg.SignerKey == "" {
			if cfg.MasterKeyFile == "" {
				return nil, errors.New("the ledger needs a master key, a master key file or a signer key")
			}
			if master, err = notary.LoadOrCreateMasterKey(cfg.MasterKeyFile); err != nil {
				return nil, err
			}
		}
		n, err := notary.Open(ctx, st, notary.Config{LogName: cfg.LogName, MasterKey: master, SignerKey: cfg.SignerKey, Interval: cfg.CheckpointInterval, Log: cfg.Log})
		if err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		// A crash between a commit and its checkpoint leaves the log ahead
		// of its latest checkpoint: sign those now.
		if err := n.CatchUp(ctx); err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		a.Notary = n
	}
	if cfg.Index.Log == nil {
		cfg.Index.Log = cfg.Log
	}
	a.indexer = ingest.NewIndexer(st, cfg.Index, reg)
	seqCfg.IndexLag, seqCfg.MaxIndexLag, seqCfg.IndexLagWait = a.indexer, cfg.MaxIndexLag, cfg.IndexLagWait
	seqCfg.AfterCommit = func(ctx context.Context, reqs []store.AppendRequest, res []store.AppendResult) {
		a.indexer.Committed(newEvents(res))
		if a.Notary != nil {
			a.Notary.Committed(ctx, reqs, res)
		}
	}
	a.seq = ingest.NewSequencer(st, seqCfg, ingest.NewMetrics(reg))
	rctx, stop := context.WithCancel(context.Background())
	a.stop = stop
	go func() {
		defer close(a.done)
		if a.Notary != nil {
			a.Notary.Run(rctx)
		}
	}()
	a.Ingest = &ingest.Service{Tenants: a.Tenants, Sequencer: a.seq, MaxEventBytes: cfg.MaxEventBytes}
	a.Read = query.NewService(st, a.Query, a.Tenants, a.Notary, cfg.Read)
	authn := &auth.Authenticator{Store: st}
	if !cfg.NoKeyCache {
		authn.Cache = auth.NewKeyCache(cfg.KeyCache)
		authn.Cache.Register(reg)
		a.watching = make(chan struct{})
		go func() {
			defer close(a.watching)
			authn.Cache.Watch(rctx, st)
		}()
	}
	keys := &httpx.Authenticator{Keys: authn, Timeout: a.Read.Limits().ReadTimeout}
	a.HTTP = httpapi.New(httpapi.Config{MaxBody: cfg.MaxBody, MaxBatch: cfg.MaxBatch, ExportWriteTimeout: cfg.ExportWriteTimeout, Query: cfg.Query}, httpapi.Deps{
		Read:     a.Read,
		Ingest:   a.Ingest,
		Indexer:  a.indexer,
		Auth:     keys,
		Tenants:  a.Tenants,
		Notary:   a.Notary,
		Log:      cfg.Log,
		Registry: reg,
	})
	// The vendor dialects: thin projections onto the same read service.
	d := dialect.Deps{Read: a.Read, Auth: keys, Log: cfg.Log, Query: cfg.Query}
	fortuna.Serve(a.HTTP, d)
	auditply.Serve(a.HTTP, d)
	frankieone.Serve(a.HTTP, d)
	moyasar.Serve(a.HTTP, d)
	return a, nil
}

// newEvents counts the events a group added to the log: not a failed
// request's, not an idempotent replay.
func newEvents(res []store.AppendResult) int {
	n := 0
	for _, r := range res {
		if r.Err != nil {
			continue
		}
		for i := range r.Events {
			if i >= len(r.Replayed) || !r.Replayed[i] {
				n++
			}
		}
	}
	return n
}

// Handler is the HTTP API.
func (a *App) Handler() http.Handler { return a.HTTP.Handler() }

// Close drains the sequencer (committing what is queued) and closes the
// database. Call it after the HTTP server has stopped taking requests.
func (a *App) Close(ctx context.Context) error {
	serr := a.seq.Close(ctx)
	a.indexer.Close(ctx)
	a.stop()
	<-a.done
	if a.watching != nil {
		<-a.watching
	}
	if a.Notary != nil {
		// Sign what the last groups committed, so a clean stop leaves every
		// event under a checkpoint.
		a.Notary.Flush(ctx)
	}
	return errors.Join(serr, a.Store.Close())
}

// RandomBytes returns a generator of n random bytes, for Store.Secret.
func RandomBytes(n int) func() ([]byte, error) {
	return func() ([]byte, error) {
		b := make([]byte, n)
		_, err := rand.Read(b)
		return b, err
	}
}
