package httpx

import (
	"encoding/json"
	"net/http"
)

// WriteJSON writes v as the response body with the given content type.
// HTML is not escaped: responses are data, and escaping would change the
// bytes of canonical metadata.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
