package httpapi

import (
	"encoding/json"
	"net/http"
)

// writeJSON writes v as the response body. HTML is not escaped: responses
// are data, and escaping would change the bytes of canonical metadata.
func writeJSON(w http.ResponseWriter, status int, v any) {
	WriteJSON(w, status, "application/json", v)
}

// WriteJSON writes v with the given content type; the dialects use it too.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
