package auditply

import (
	"github.com/auditkeep/auditkeep/internal/compat/dialect"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// Route is the vendor's case audit log endpoint.
const Route = "GET /api/v1/kyc/cases/{id}/audit-log"

// Deps are what the dialect serves from.
type Deps = dialect.Deps

// Serve registers the dialect's routes on mux.
func Serve(mux httpx.Mux, d Deps) {
	mux.Handle(Route, &auditLogHandler{d: d})
}
