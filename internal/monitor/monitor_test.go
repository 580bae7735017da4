package monitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"
)

// TestRedirectNotFollowed: a service that redirects, to another host or
// to itself, is not followed, so the key never reaches the target.
func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"keys":[]}`))
	}))
	t.Cleanup(elsewhere.Close)
	for _, tc := range []struct{ name, to string }{
		{"other host", elsewhere.URL + "/v1/ledger/keys"},
		{"same host", "/moved/v1/ledger/keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/moved/") {
					hits.Add(1)
					w.Write([]byte(`{"keys":[]}`))
					return
				}
				http.Redirect(w, r, tc.to, http.StatusFound)
			}))
			t.Cleanup(srv.Close)
			// The caller's client follows redirects; the monitor must not.
			caller := &http.Client{}
			m := New(Config{URL: srv.URL, Key: "secret", HTTP: caller})
			_, err := m.Round(context.Background())
			if err == nil || !strings.Contains(err.Error(), "not followed") {
				t.Fatalf("Round = %v, want a redirect refused", err)
			}
			if _, ok := err.(*Alarm); ok {
				t.Fatalf("a redirect is a failure to ask, not an alarm: %v", err)
			}
			if n := hits.Load(); n != 0 {
				t.Fatalf("the redirect target was asked %d times", n)
			}
			if caller.CheckRedirect != nil {
				t.Fatal("the caller's client was changed")
			}
		})
	}
}

// TestBodyExcerpt: an error quotes at most a short excerpt of what the
// service answered, with control characters and escape sequences escaped.
func TestBodyExcerpt(t *testing.T) {
	t.Parallel()
	hostile := "\x1b[2J\x1b]0;pwned\x07" + strings.Repeat("A\r\n\x1b[31m", 100_000)
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"error status", http.StatusInternalServerError, hostile},
		{"bad json", http.StatusOK, "\x1b[31m" + hostile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			m := New(Config{URL: srv.URL, Key: "k"})
			_, err := m.Round(context.Background())
			if err == nil {
				t.Fatal("Round succeeded")
			}
			msg := err.Error()
			if len(msg) > 3*ExcerptBytes {
				t.Errorf("error is %d bytes long, want a short excerpt: %.80q…", len(msg), msg)
			}
			for _, r := range msg {
				if unicode.IsControl(r) {
					t.Fatalf("error holds control character %U: %q", r, msg)
				}
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a\x1b[31mb\n", `a\x1b[31mb\n`},
		{"\xff\x00é", `\xff\x00\u00e9`},
		{strings.Repeat("x", ExcerptBytes+1), strings.Repeat("x", ExcerptBytes) + "… (200 bytes shown)"},
	} {
		if got := Excerpt([]byte(tc.in)); got != tc.want {
			t.Errorf("Excerpt(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
