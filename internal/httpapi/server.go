package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/ingest"
	"github.com/auditkeep/auditkeep/internal/notary"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// Config tunes the HTTP API.
type Config struct {
	// MaxBody is the largest request body accepted, in bytes.
	MaxBody int64
	// MaxBatch is the most events one POST /v1/events may carry.
	MaxBatch int
	// ExportWriteTimeout is how long one write of an export to its client
	// may take; it replaces the server's WriteTimeout on export routes.
	ExportWriteTimeout time.Duration
	// Query bounds every route's query string.
	Query httpx.QueryLimits
}

// DefaultExportWriteTimeout is Config.ExportWriteTimeout's default.
const DefaultExportWriteTimeout = 30 * time.Second

// Deps are what the API serves from: the services, never the store.
type Deps struct {
	Read     *query.Service
	Ingest   *ingest.Service
	Indexer  *ingest.Indexer // for /readyz's index_lag; nil leaves it out
	Auth     *httpx.Authenticator
	Tenants  *tenant.Service // the admin API's writes
	Notary   *notary.Notary  // the ledger routes; nil when the ledger is off
	Log      *slog.Logger
	Registry *prometheus.Registry
}

// Server is the HTTP API.
type Server struct {
	cfg     Config
	d       Deps
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *httpMetrics
}

// New builds the server and registers the native routes.
func New(cfg Config, d Deps) *Server {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 8 << 20
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 1000
	}
	if cfg.ExportWriteTimeout <= 0 {
		cfg.ExportWriteTimeout = DefaultExportWriteTimeout
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, d: d, log: d.Log, mux: http.NewServeMux(), metrics: newHTTPMetrics(d.Registry)}
	s.routes()
	return s
}

// nativeRoute is one route of the native and admin API. The OpenAPI
// document describes exactly these; a test keeps the two in step.
type nativeRoute struct {
	pattern string
	scope   string
	handle  func(*Server) func(http.ResponseWriter, *http.Request, *auth.Principal)
}

var nativeRoutes = []nativeRoute{
	{"POST /v1/events", auth.ScopeEventsWrite, func(s *Server) handler { return s.postEvents }},
	{"GET /v1/events", auth.ScopeEventsRead, func(s *Server) handler { return s.listEvents }},
	{"GET /v1/events/{id}", auth.ScopeEventsRead, func(s *Server) handler { return s.getEvent }},
	{"POST /v1/admin/tenants", auth.ScopeAdmin, func(s *Server) handler { return s.createTenant }},
	{"GET /v1/admin/tenants", auth.ScopeAdmin, func(s *Server) handler { return s.listTenants }},
	{"POST /v1/admin/keys", auth.ScopeAdmin, func(s *Server) handler { return s.createKey }},
	{"GET /v1/admin/keys", auth.ScopeAdmin, func(s *Server) handler { return s.listKeys }},
	{"DELETE /v1/admin/keys/{id}", auth.ScopeAdmin, func(s *Server) handler { return s.revokeKey }},
	{"GET /v1/ledger/checkpoint", auth.ScopeEventsRead, func(s *Server) handler { return s.ledgerCheckpoint }},
	{"GET /v1/ledger/checkpoints", auth.ScopeEventsRead, func(s *Server) handler { return s.ledgerCheckpoints }},
	{"GET /v1/ledger/proof/inclusion", auth.ScopeEventsRead, func(s *Server) handler { return s.ledgerInclusion }},
	{"GET /v1/ledger/proof/consistency", auth.ScopeEventsRead, func(s *Server) handler { return s.ledgerConsistency }},
	{"GET /v1/ledger/keys", auth.ScopeEventsRead, func(s *Server) handler { return s.ledgerKeys }},
	{"GET /v1/ledger/export", auth.ScopeEventsRead, func(s *Server) handler { return s.ledgerExport }},
}

type handler = func(http.ResponseWriter, *http.Request, *auth.Principal)

// The answers to a request without a valid key. Which of an unknown,
// revoked, malformed or IP-refused key it was stays in the server: telling
// them apart would help whoever holds a stolen or guessed key.
var (
	errNoKey        = &event.FieldError{Message: "an API key is required: send it as Authorization: Bearer KEY", Kind: event.ErrUnauthorized}
	errUnauthorized = &event.FieldError{Message: "the API key is not valid", Kind: event.ErrUnauthorized}
)

// publicRoutes need no key.
var publicRoutes = []string{"GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.json"}

// NativeRoutes lists the patterns of every native route, public ones
// included, for the OpenAPI drift test.
func NativeRoutes() []string {
	out := slices.Clone(publicRoutes)
	for _, r := range nativeRoutes {
		out = append(out, r.pattern)
	}
	return out
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if s.d.Registry != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.d.Registry, promhttp.HandlerOpts{}))
	}
	s.mux.HandleFunc("GET /openapi.json", s.openAPI)
	for _, r := range nativeRoutes {
		s.mux.HandleFunc(r.pattern, s.native(r.scope, r.handle(s)))
	}
	s.mux.HandleFunc("/", s.notFound)
}

// Handle mounts a handler (a vendor dialect's) on the server.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler is the whole API with its middleware.
func (s *Server) Handler() http.Handler { return s.observe(s.mux) }

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, event.ErrNotFound)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.d.Read.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", slog.Any("err", err))
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": s.d.Read.Engine()})
		return
	}
	body := map[string]any{"status": "ok", "database": s.d.Read.Engine()}
	// The indexer's lag is detail, not readiness: reads stay exact behind it.
	if s.d.Indexer != nil {
		if lag, err := s.d.Indexer.Lag(ctx); err == nil {
			body["index_lag"] = map[string]any{"events": lag.Events, "seconds": ingest.LagSeconds(lag, time.Now())}
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// native wraps a native-API handler: Bearer authentication, the scope
// check, and native error bodies.
func (s *Server) native(scope string, h func(http.ResponseWriter, *http.Request, *auth.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := httpx.BearerToken(r)
		p, err := s.d.Auth.Authenticate(r, token)
		if err != nil {
			if httpx.StatusOf(err) == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="auditkeep"`)
				err = errUnauthorized
				if token == "" {
					err = errNoKey
				}
			}
			s.writeError(w, r, err)
			return
		}
		if !p.Has(scope) {
			s.writeError(w, r, &event.FieldError{Message: "this API key lacks the scope " + scope, Kind: event.ErrForbidden})
			return
		}
		h(w, r, p)
	}
}
