package fortuna

import "github.com/auditkeep/auditkeep/internal/httpapi"

// Route is the vendor's audit read endpoint.
const Route = "GET /api/audit/records"

// Mount registers the dialect's routes on the server.
func Mount(s *httpapi.Server) {
	s.Handle(Route, &records{s: s})
}
