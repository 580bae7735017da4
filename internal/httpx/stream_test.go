package httpx

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
)

type envelope struct {
	Before string       `json:"before"`
	List   Items[thing] `json:"list"`
	After  *int         `json:"after"`
}

type thing struct {
	A string          `json:"a"`
	M json.RawMessage `json:"m,omitempty"`
}

// TestWriteStream: a streamed answer is byte for byte what WriteJSON
// writes, for no items, one and several, with text JSON would escape.
func TestWriteStream(t *testing.T) {
	t.Parallel()
	n := 3
	for _, items := range []Items[thing]{
		{},
		{{A: "<&>"}},
		{{A: "x", M: json.RawMessage(`{"k":"v"}`)}, {A: "\u2028"}, {A: `"q"`}},
	} {
		v := envelope{Before: "<b>", List: items, After: &n}
		want := httptest.NewRecorder()
		WriteJSON(want, 200, "application/json", struct {
			Before string  `json:"before"`
			List   []thing `json:"list"`
			After  *int    `json:"after"`
		}{v.Before, []thing(items), v.After})
		got := httptest.NewRecorder()
		WriteStream(got, 200, "application/json", v, v.List)
		if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			t.Errorf("streamed %q, want %q", got.Body, want.Body)
		}
		if got.Header().Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", got.Header().Get("Content-Type"))
		}
	}
}
