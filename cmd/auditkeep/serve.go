package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/ingest"
	"github.com/auditkeep/auditkeep/internal/notary"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/safefile"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// ServeCmd runs the service.
type ServeCmd struct {
	DBFlag
	Addr            string        `default:"127.0.0.1:8080" help:"Address to listen on ($AUDITKEEP_ADDR)."`
	LogFormat       string        `enum:"text,json" default:"text" help:"Log format: text or json ($AUDITKEEP_LOG_FORMAT)."`
	LogLevel        string        `enum:"debug,info,warn,error" default:"info" help:"Least level logged ($AUDITKEEP_LOG_LEVEL)."`
	MaxBody         int64         `default:"8388608" help:"Largest request body, in bytes ($AUDITKEEP_MAX_BODY)."`
	MaxBatch        int           `default:"1000" help:"Most events in one POST /v1/events ($AUDITKEEP_MAX_BATCH)."`
	MaxEventBytes   int           `default:"262144" help:"Largest stored size of one event, all fields together, in bytes ($AUDITKEEP_MAX_EVENT_BYTES)."`
	AdminKeyFile    string        `help:"Where the bootstrap admin key is saved (mode 0600); default auditkeep.admin-key beside the database ($AUDITKEEP_ADMIN_KEY_FILE)."`
	ShutdownTimeout time.Duration `default:"30s" help:"How long shutdown waits for requests and queued events ($AUDITKEEP_SHUTDOWN_TIMEOUT)."`
	NoLedger        bool          `help:"Benchmarks only: skip the ledger (no proofs, cannot be verified) ($AUDITKEEP_NO_LEDGER)."`
	ReadFlags
	IndexFlags
	KeyCacheFlags
	LedgerFlags
}

// ReadFlags bound reads and the HTTP connections they come on.
type ReadFlags struct {
	ReadTimeout           time.Duration `default:"5s" help:"Most time one page, count or single read may take; past it the query is cancelled and the client gets a 503 ($AUDITKEEP_READ_TIMEOUT)."`
	ExportTimeout         time.Duration `default:"10m" help:"Most time one export may take in all ($AUDITKEEP_EXPORT_TIMEOUT)."`
	ExportWriteTimeout    time.Duration `default:"30s" help:"Most time one write of an export to its client may take; a client that stops reading is cut off after it ($AUDITKEEP_EXPORT_WRITE_TIMEOUT)."`
	MaxExports            int           `default:"4" help:"Exports running at once, in all; more are refused with a 503 ($AUDITKEEP_MAX_EXPORTS)."`
	MaxExportsPerTenant   int           `default:"2" help:"Exports running at once for the keys of one tenant ($AUDITKEEP_MAX_EXPORTS_PER_TENANT)."`
	HTTPReadHeaderTimeout time.Duration `default:"10s" help:"Most time to read a request's headers ($AUDITKEEP_HTTP_READ_HEADER_TIMEOUT)."`
	HTTPReadTimeout       time.Duration `default:"60s" help:"Most time to read a whole request, body included ($AUDITKEEP_HTTP_READ_TIMEOUT)."`
	HTTPWriteTimeout      time.Duration `default:"60s" help:"Most time from a request's headers to the end of its answer; exports extend it write by write ($AUDITKEEP_HTTP_WRITE_TIMEOUT)."`
	HTTPIdleTimeout       time.Duration `default:"120s" help:"How long an idle keep-alive connection is kept ($AUDITKEEP_HTTP_IDLE_TIMEOUT)."`
	MaxQueryParams        int           `default:"256" help:"Most parameters in one query string, on every route; more are a 400 ($AUDITKEEP_MAX_QUERY_PARAMS)."`
	MaxQueryBytes         int           `default:"16384" help:"Longest query string, in bytes, on every route; longer is a 400 ($AUDITKEEP_MAX_QUERY_BYTES)."`
}

// IndexFlags tune the indexer that folds the log into the query indexes.
type IndexFlags struct {
	IndexBatch int           `default:"5000" help:"Most events the indexer folds into the query indexes in one transaction ($AUDITKEEP_INDEX_BATCH)."`
	IndexDelay time.Duration `default:"50ms" help:"How long the indexer lets events gather after a commit before it folds them ($AUDITKEEP_INDEX_DELAY)."`
	IndexPoll  time.Duration `default:"1s" help:"How often the indexer looks for unindexed events without being told of a commit ($AUDITKEEP_INDEX_POLL)."`
	// 50,000 is above the lag the benchmarks saw at the end of a 200,000
	// event burst (6,500 to 47,000, gone within 2.6 s), so bursts pass,
	// and below where sustained overload took it (78,000 to 300,000, with
	// first pages at 1 to 2.5 s p99): only a writer the indexer cannot
	// keep up with is slowed. It is 10 batches of the default size.
	MaxIndexLag  int64         `default:"50000" help:"Most acknowledged events the query indexes may lag behind; past it ingest waits for the indexer, 0 turns the bound off ($AUDITKEEP_MAX_INDEX_LAG)."`
	IndexLagWait time.Duration `default:"2s" help:"Most time an ingest request waits for the indexer to come under --max-index-lag; then it gets a 503 with nothing written ($AUDITKEEP_INDEX_LAG_WAIT)."`
}

func (f *IndexFlags) config() ingest.IndexerConfig {
	return ingest.IndexerConfig{Batch: f.IndexBatch, Delay: f.IndexDelay, Poll: f.IndexPoll}
}

// LedgerFlags configure the ledger's keys and checkpoints.
type LedgerFlags struct {
	MasterKey          string        `help:"Key (64 hex digits or base64 of 32 bytes) that seals the ledger's signing keys in the database; default: kept in auditkeep.master-key beside the database, made on first start ($AUDITKEEP_MASTER_KEY, or a file in $AUDITKEEP_MASTER_KEY_FILE)."`
	LedgerKey          string        `help:"A checkpoint signing key in note format (PRIVATE+KEY+…) to use instead of the sealed keys ($AUDITKEEP_LEDGER_KEY, or a file in $AUDITKEEP_LEDGER_KEY_FILE)."`
	CheckpointInterval time.Duration `default:"1s" help:"Most time from a commit to the signed checkpoint that covers it; 0 signs after every commit ($AUDITKEEP_CHECKPOINT_INTERVAL)."`
	LogName            string        `default:"auditkeep" help:"Log name: the origin of a tenant's checkpoints is LOG-NAME/TENANT-ID ($AUDITKEEP_LOG_NAME)."`
}

// config fills the ledger part of an app configuration.
func (l *LedgerFlags) config(db string, cfg *app.Config) error {
	if l.MasterKey != "" {
		key, err := notary.ParseMasterKey(l.MasterKey)
		if err != nil {
			return err
		}
		cfg.MasterKey = key
	} else {
		cfg.MasterKeyFile = filepath.Join(app.DataDir(db), "auditkeep.master-key")
	}
	cfg.SignerKey = strings.TrimSpace(l.LedgerKey)
	cfg.CheckpointInterval = l.CheckpointInterval
	cfg.LogName = l.LogName
	return nil
}

// Run starts the service and blocks until the context ends, then drains.
func (c *ServeCmd) Run(env *Env) error {
	log := newLogger(env.Stderr, c.LogFormat, c.LogLevel)
	ctx := env.Ctx
	cfg := app.Config{DB: c.DB, NoLedger: c.NoLedger, MaxBody: c.MaxBody, MaxBatch: c.MaxBatch, MaxEventBytes: c.MaxEventBytes, Log: log, KeyCache: c.KeyCacheFlags.config(), NoKeyCache: c.KeyCacheSize == 0}
	cfg.Read = query.Limits{ReadTimeout: c.ReadTimeout, ExportTimeout: c.ExportTimeout, MaxExports: c.MaxExports, MaxExportsPerTenant: c.MaxExportsPerTenant}
	cfg.ExportWriteTimeout = c.ExportWriteTimeout
	cfg.Query = httpx.QueryLimits{MaxParams: c.MaxQueryParams, MaxBytes: c.MaxQueryBytes}
	cfg.Index = c.IndexFlags.config()
	cfg.MaxIndexLag, cfg.IndexLagWait = c.MaxIndexLag, c.IndexLagWait
	if err := c.LedgerFlags.config(c.DB, &cfg); err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	warnFileModes(log, a.Store)
	if err := c.bootstrap(ctx, a.Tenants, env, log); err != nil {
		a.Close(ctx)
		return err
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		a.Close(ctx)
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: c.HTTPReadHeaderTimeout,
		ReadTimeout:       c.HTTPReadTimeout,
		WriteTimeout:      c.HTTPWriteTimeout,
		IdleTimeout:       c.HTTPIdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", slog.String("addr", "http://"+ln.Addr().String()), slog.String("database", a.Store.Engine()))

	select {
	case err := <-errc:
		a.Close(ctx)
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests and the sequencer")
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	herr := hs.Shutdown(sctx)
	aerr := a.Close(sctx)
	if err := errors.Join(herr, aerr); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// bootstrap makes the default tenant and an admin key on an empty
// database, prints the key once and saves it with mode 0600.
func (c *ServeCmd) bootstrap(ctx context.Context, tenants *tenant.Service, env *Env, log *slog.Logger) error {
	secret, t, err := tenants.Bootstrap(ctx)
	if err != nil || secret == "" {
		return err
	}
	path := c.AdminKeyFile
	if path == "" {
		path = filepath.Join(app.DataDir(c.DB), "auditkeep.admin-key")
	}
	// Never over an existing file nor through a symbolic link: either
	// could hand the key to whoever put it there. The key is still shown
	// once on stdout.
	err = safefile.WriteNew(path, []byte(secret+"\n"))
	switch {
	case errors.Is(err, fs.ErrExist):
		fmt.Fprintf(env.Stdout, "Created tenant %q (%s) and its admin key. It is shown only this once:\n\n    %s\n\nIt is NOT saved: %s already exists (or is a symbolic link) and was left as it is.\n\n", t.Name, t.ID, secret, path)
		log.Warn("bootstrap admin key not saved: the key file exists and was not replaced", slog.String("key_file", path))
		return nil
	case err != nil:
		return fmt.Errorf("save admin key: %w", err)
	}
	fmt.Fprintf(env.Stdout, "Created tenant %q (%s) and its admin key. It is shown only this once:\n\n    %s\n\nIt is also saved in %s (mode 0600).\n\n", t.Name, t.ID, secret, path)
	log.Info("bootstrap admin key created; try it",
		slog.String("key_file", path),
		slog.String("example", fmt.Sprintf(`curl -s -H "Authorization: Bearer $(cat %s)" -d '{"action":"hello"}' http://%s/v1/events`, path, c.Addr)))
	return nil
}

func newLogger(w interface{ Write([]byte) (int, error) }, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(strings.ToUpper(level)))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
