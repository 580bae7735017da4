package compattest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/apitest"
)

// Escape makes fuzzer text sendable in a request line: it percent-encodes
// the bytes a request line cannot carry (control characters, space and
// DEL), '#', which would end it, and every byte also reports true for
// (nil for none). Everything else, '&', '=', '%' and '+' included, is left
// as the fuzzer wrote it, so it reaches the handler rather than the
// client's or the server's parser.
func Escape(s string, also func(c byte) bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || c == '#' || also != nil && also(c) {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// NonASCII reports whether c is not an ASCII byte: with Escape, it sends
// UTF-8 and stray high bytes percent-encoded.
func NonASCII(c byte) bool { return c >= 0x80 }

// PresentKey presents a key on req the way mode picks, mode modulo 4: key
// in the vendor's header or as a Bearer token, or the fuzzer's value in the
// vendor's header or as the whole Authorization header.
func PresentKey(req *http.Request, mode uint, header, key, fuzzed string) {
	switch mode % 4 {
	case 0:
		req.Header.Set(header, key)
	case 1:
		req.Header.Set("Authorization", "Bearer "+key)
	case 2:
		req.Header.Set(header, fuzzed)
	case 3:
		req.Header.Set("Authorization", fuzzed)
	}
}

// FuzzClient is the client fuzz targets send with: it shows a redirect
// rather than follow it, and gives up on a hung request.
func FuzzClient() *http.Client {
	return &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Fetch sends req and reads the answer, or returns nil when the client
// will not send what the fuzzer made (a header value no client can send).
func Fetch(t testing.TB, client *http.Client, req *http.Request) *apitest.Response {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &apitest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}
