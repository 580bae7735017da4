package auth_test

import (
	"net/netip"
	"testing"

	"github.com/auditkeep/auditkeep/internal/auth"
)

func TestWithinAllowList(t *testing.T) {
	t.Parallel()
	list := func(s ...string) []netip.Prefix {
		out := make([]netip.Prefix, len(s))
		for i, p := range s {
			out[i] = netip.MustParsePrefix(p)
		}
		return out
	}
	for _, tc := range []struct {
		name          string
		granted, held []netip.Prefix
		ok            bool
		bad           int
	}{
		{"held empty: anything", list("0.0.0.0/0"), nil, true, 0},
		{"both empty", nil, nil, true, 0},
		{"granted empty, held not", nil, list("10.0.0.0/8"), false, -1},
		{"equal", list("10.0.0.0/8"), list("10.0.0.0/8"), true, 0},
		{"narrower", list("10.2.3.4/32", "10.9.0.0/16"), list("10.0.0.0/8"), true, 0},
		{"in the second held", list("192.0.2.0/25"), list("10.0.0.0/8", "192.0.2.0/24"), true, 0},
		{"wider", list("10.0.0.0/7"), list("10.0.0.0/8"), false, 0},
		{"beside", list("10.0.0.0/8", "11.0.0.0/8"), list("10.0.0.0/8"), false, 1},
		{"spanning two held", list("10.0.0.0/7"), list("10.0.0.0/8", "11.0.0.0/8"), false, 0},
		{"ipv6 narrower", list("2001:db8:1::/48"), list("2001:db8::/32"), true, 0},
		{"ipv6 wider", list("2001:db8::/31"), list("2001:db8::/32"), false, 0},
		{"other family", list("::1/128"), list("0.0.0.0/0"), false, 0},
		{"v4 inside ::/0 is not", list("10.0.0.0/8"), list("::/0"), false, 0},
		{"held stored mapped", list("10.1.0.0/16"), list("::ffff:10.0.0.0/104"), true, 0},
	} {
		ok, bad := auth.WithinAllowList(tc.granted, tc.held)
		if ok != tc.ok || (!ok && bad != tc.bad) {
			t.Errorf("%s: WithinAllowList = %v, %d; want %v, %d", tc.name, ok, bad, tc.ok, tc.bad)
		}
	}
}
