package auth

import (
	"net/netip"
	"slices"
)

// WithinAllowList reports whether every prefix of granted lies inside one
// of held's, so a key allowed from granted can be used from no address a
// key allowed from held could not. An empty list allows every address:
// within an empty held list is anything, and an empty granted list is
// within only an empty held list. When it is not within, bad is the index
// of the first granted prefix outside held (-1 for an empty granted list).
func WithinAllowList(granted, held []netip.Prefix) (ok bool, bad int) {
	if len(held) == 0 {
		return true, 0
	}
	if len(granted) == 0 {
		return false, -1
	}
	for i, g := range granted {
		if !slices.ContainsFunc(held, func(h netip.Prefix) bool { return prefixWithin(g, h) }) {
			return false, i
		}
	}
	return true, 0
}

// prefixWithin reports whether inner lies inside outer: same family, no
// shorter, and its first address in outer. Prefixes are compared as
// ParseAllowList stores them (masked, IPv4-mapped ones unmapped); a stored
// mapped one is unmapped here too, as Allowed unmaps the address it checks.
func prefixWithin(inner, outer netip.Prefix) bool {
	inner, outer = unmapPrefix(inner), unmapPrefix(outer)
	return inner.Addr().BitLen() == outer.Addr().BitLen() && outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

func unmapPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Masked()
	}
	return p
}
