package fortuna

import (
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// Route is the vendor's audit read endpoint.
const Route = "GET /api/audit/records"

// Deps are what the dialect serves from.
type Deps = dialect.Deps

// Serve registers the dialect's routes on mux.
func Serve(mux httpx.Mux, d Deps) {
	mux.Handle(Route, &records{d: d})
}
