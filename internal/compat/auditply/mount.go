package auditply

import "github.com/auditkeep/auditkeep/internal/httpapi"

// Route is the vendor's case audit log endpoint.
const Route = "GET /api/v1/kyc/cases/{id}/audit-log"

// Mount registers the dialect's routes on the server.
func Mount(s *httpapi.Server) {
	s.Handle(Route, &auditLogHandler{s: s})
}
