package auth

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
)

func TestParseAllowList(t *testing.T) {
	ok := []struct {
		in   string
		want string
	}{
		{"10.0.0.0/8", "10.0.0.0/8"},
		{" 10.1.2.3/8 ", "10.0.0.0/8"},
		{"192.0.2.7", "192.0.2.7/32"},
		{"::1", "::1/128"},
		{"2001:db8::/32", "2001:db8::/32"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"::ffff:192.0.2.7/128", "192.0.2.7/32"},
		{"::ffff:192.0.2.7", "192.0.2.7/32"},
		{"::ffff:0.0.0.0/96", "0.0.0.0/0"},
	}
	for _, tc := range ok {
		got, err := ParseAllowList([]string{tc.in})
		if err != nil || len(got) != 1 || got[0] != netip.MustParsePrefix(tc.want) {
			t.Errorf("ParseAllowList(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	bad := []struct{ in, msg string }{
		{"", "empty"},
		{"   ", "empty"},
		{"10.0.0.300", "neither"},
		{"10.0.0.0/33", "neither"},
		{"example.com", "neither"},
		{"10.0.0.0/8,10.1.0.0/16", "neither"},
		{"fe80::1%eth0", "zone"},
		{"fe80::1%eth0/64", "zone"},
		{"::ffff:10.0.0.0/80", "shorter than /96"},
		{"10.0.0.1\x00", "neither"},
		{"\xff", "neither"},
	}
	for _, tc := range bad {
		_, err := ParseAllowList([]string{"192.0.2.1", tc.in})
		var fe *event.FieldError
		if !errors.As(err, &fe) || fe.Field != "allow_ips[1]" || !strings.Contains(fe.Message, tc.msg) {
			t.Errorf("ParseAllowList(%q) = %v; want an error on allow_ips[1] saying %q", tc.in, err, tc.msg)
		}
	}
	if got, err := ParseAllowList(nil); got != nil || err != nil {
		t.Errorf("an empty list = %v, %v; want no restriction", got, err)
	}
}

// A mapped entry matches the request it was written for: requests are
// compared by their unmapped address.
func TestAllowListMappedEntryMatches(t *testing.T) {
	ps, err := ParseAllowList([]string{"::ffff:10.0.0.0/104"})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{"10.9.8.7": true, "::ffff:10.9.8.7": true, "11.0.0.1": false} {
		if got := Allowed(ps, netip.MustParseAddr(addr)); got != want {
			t.Errorf("Allowed(%v, %s) = %v, want %v", ps, addr, got, want)
		}
	}
}

func TestNewKeyRefusesBadNames(t *testing.T) {
	for _, name := range []string{"a\x00b", "\xff", strings.Repeat("n", 256)} {
		if _, _, err := NewKey(uuid.New(), name, []string{ScopeEventsRead}, nil); !errors.Is(err, event.ErrInvalid) {
			t.Errorf("NewKey(name %q) = %v, want ErrInvalid", name, err)
		}
	}
	_, k, err := NewKey(uuid.New(), "ünïcode ok", []string{ScopeEventsRead, ScopeEventsRead}, nil)
	if err != nil || !cmp.Equal(k.Scopes, []string{ScopeEventsRead}) {
		t.Errorf("NewKey = %v, %v", k.Scopes, err)
	}
}
