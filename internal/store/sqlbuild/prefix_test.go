package sqlbuild

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/auditkeep/auditkeep/internal/store"
)

func TestPrefixUpper(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p, hi string
		ok    bool
	}{
		{"", "", false},
		{"crea", "creb", true},
		{"a\u007f", "a\u0080", true}, // not "a\x80"
		{"\u007f", "\u0080", true},
		{"¿", "À", true},           // U+00BF → U+00C0, not "\xc2\xc0"
		{"ÿ", "Ā", true},           // U+00FF → U+0100, not "\xc3\xc0"
		{"é", "ê", true},           // a multi-byte rune whose last byte may simply grow
		{"x😿", "x🙀", true},         // U+1F63F → U+1F640
		{"\u07ff", "\u0800", true}, // two bytes become three
		{"\uffff", "\U00010000", true},
		{"\ud7ff", "\ue000", true}, // past the surrogates
		{"a\U0010FFFF", "b", true}, // the last code point: drop it and carry
		{"a¿\U0010FFFF\U0010FFFF", "aÀ", true},
		{"\U0010FFFF", "", false},
		{"\U0010FFFF\U0010FFFF", "", false},
		// Not UTF-8: bytes, exact bytewise.
		{"a\xc3", "a\xc4", true},
		{"a\xff", "b", true},
		{"\xff\xff", "", false},
	} {
		hi, ok := prefixUpper(tc.p)
		if hi != tc.hi || ok != tc.ok {
			t.Errorf("prefixUpper(%+q) = %+q, %v; want %+q, %v", tc.p, hi, ok, tc.hi, tc.ok)
		}
		if ok && utf8.ValidString(tc.p) && !utf8.ValidString(hi) {
			t.Errorf("prefixUpper(%+q) = %+q: not UTF-8", tc.p, hi)
		}
	}
}

// edgeRunes are the code points next to the places where UTF-8's encoding
// changes length or skips, so random strings hit the carries.
var edgeRunes = []rune{
	'a', 'b', 0x7e, 0x7f, 0x80, 0xbf, 0xc0, 0xff, 0x100, 0x7ff, 0x800,
	0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f63f, 0x1f640, 0x10fffe, utf8.MaxRune,
}

// TestPrefixUpperProperty checks the range [p, hi) against
// strings.HasPrefix over valid UTF-8, comparing bytewise as both engines
// do, and that hi is valid UTF-8.
func TestPrefixUpperProperty(t *testing.T) {
	t.Parallel()
	str := rapid.Custom(func(t *rapid.T) string {
		return string(rapid.SliceOfN(rapid.SampledFrom(edgeRunes), 0, 4).Draw(t, "runes"))
	})
	rapid.Check(t, func(t *rapid.T) {
		p := str.Draw(t, "p")
		// s often extends p, so that matches are common.
		s := str.Draw(t, "s")
		if rapid.Bool().Draw(t, "extend") {
			s = p + s
		}
		hi, ok := prefixUpper(p)
		if ok && !utf8.ValidString(hi) {
			t.Fatalf("prefixUpper(%+q) = %+q: not UTF-8", p, hi)
		}
		in := s >= p && (!ok || s < hi)
		if in != strings.HasPrefix(s, p) {
			t.Fatalf("p %+q, hi %+q (%v), s %+q: in range %v, HasPrefix %v", p, hi, ok, s, in, !in)
		}
	})
}

// TestPrefixArgs checks the arguments a prefix filter binds.
func TestPrefixArgs(t *testing.T) {
	t.Parallel()
	b := New(&Dialect{Dollar: true})
	b.Where(&store.Filter{ActionPrefixes: []string{"a\u007f", "", "\U0010FFFF"}, PrimaryTargetTypePrefixes: []string{"Hä¿"}})
	want := " AND ((e.action >= $1 AND e.action < $2) OR 1 = 1 OR (e.action >= $3))" +
		" AND ((e.target_type >= $4 AND e.target_type < $5))"
	if diff := cmp.Diff(want, b.SQL()); diff != "" {
		t.Errorf("SQL (-want +got):\n%s", diff)
	}
	wantArgs := []any{"a\u007f", "a\u0080", "\U0010FFFF", "Hä¿", "HäÀ"}
	if diff := cmp.Diff(wantArgs, b.Args()); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
}
