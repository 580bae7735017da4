package compattest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
)

// Decode decodes the JSON document b into v, refusing fields v does not
// know and anything after the document, so that an answer with a renamed
// or extra field fails.
func Decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON document")
	}
	return nil
}

// DecodeStrict is Decode that fails the test on error.
func DecodeStrict(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := Decode(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// DecodeAnswer checks that r has status, failing the test at once when it
// has not, and the content type, then decodes its body strictly into v.
func DecodeAnswer(t testing.TB, r *apitest.Response, status int, contentType string, v any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != contentType {
		t.Errorf("content type %q, want %q", ct, contentType)
	}
	DecodeStrict(t, r.Body, v)
}

// DecodeAny decodes a JSON object keeping numbers as written, so that an
// integer and a string never compare equal and 1 and 1.0 differ.
func DecodeAny(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := decodeNumbers(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// ReadJSON decodes the file at path into v as DecodeAny does: numbers
// stay as written.
func ReadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := decodeNumbers(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func decodeNumbers(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
