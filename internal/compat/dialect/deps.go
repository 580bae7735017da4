package dialect

import (
	"log/slog"

	"github.com/auditkeep/auditkeep/internal/httpx"
	"github.com/auditkeep/auditkeep/internal/query"
)

// Deps are what a dialect serves from, given to its Serve explicitly: the
// read service (never the store), the key check, the log, and the bounds
// of a query string (zero fields take httpx's defaults).
type Deps struct {
	Read  *query.Service
	Auth  *httpx.Authenticator
	Log   *slog.Logger
	Query httpx.QueryLimits
}
