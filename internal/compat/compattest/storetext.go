package compattest

import (
	"bytes"
	"testing"
)

// storeTexts are fragments of the engines' and drivers' own messages
// (PostgreSQL's "invalid byte sequence for encoding \"UTF8\": 0xff
// (SQLSTATE 22021)", SQLite's "too many SQL variables"), none of which a
// client may ever see.
var storeTexts = [][]byte{
	[]byte("SQLSTATE"), []byte("invalid byte sequence"), []byte("SQL variables"),
	[]byte("expression tree"), []byte("sqlite"), []byte("pgx"), []byte("pq: "),
}

// NoStoreText fails the test when body repeats a store or driver message.
func NoStoreText(t testing.TB, body []byte) {
	t.Helper()
	for _, s := range storeTexts {
		if bytes.Contains(bytes.ToLower(body), bytes.ToLower(s)) {
			t.Errorf("answer repeats store text %q: %s", s, body)
		}
	}
}
