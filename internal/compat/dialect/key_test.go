package dialect

import (
	"net/http/httptest"
	"testing"
)

func TestKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		headers []string
		want    string
	}{
		{"none", nil, ""},
		{"vendor header", []string{"X-Api-Key", "k1"}, "k1"},
		{"vendor header in any case", []string{"x-api-key", " k1 "}, "k1"},
		{"bearer", []string{"Authorization", "Bearer k2"}, "k2"},
		{"vendor header wins", []string{"X-Api-Key", "k1", "Authorization", "Bearer k2"}, "k1"},
		{"blank vendor header falls back", []string{"X-Api-Key", "  ", "Authorization", "bearer k2"}, "k2"},
		{"basic is no key", []string{"Authorization", "Basic k2"}, ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		for i := 0; i+1 < len(tc.headers); i += 2 {
			r.Header.Set(tc.headers[i], tc.headers[i+1])
		}
		if got := Key(r, "X-Api-Key"); got != tc.want {
			t.Errorf("%s: Key = %q, want %q", tc.name, got, tc.want)
		}
	}
}
