package httpapi

import (
	"net/http"

	"github.com/auditkeep/auditkeep/internal/httpx"
)

// writeJSON writes v as a native JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	httpx.WriteJSON(w, status, "application/json", v)
}
