package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3.1 description of the native and admin API,
// kept by hand (it is documentation) and checked against the routes, the
// list parameters and the event's JSON by TestOpenAPIMatchesRoutes.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the document.
func OpenAPI() []byte { return openAPIDoc }

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPIDoc)
}
