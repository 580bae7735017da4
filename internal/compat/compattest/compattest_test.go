package compattest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEscape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		also func(byte) bool
		want string
	}{
		{"a=1&b=%zz+c", nil, "a=1&b=%zz+c"},
		{"a b\x00#\x7f", nil, "a%20b%00%23%7F"},
		{"ı?", nil, "ı?"},
		{"ı?", NonASCII, "%C4%B1?"},
		{"ı?", func(c byte) bool { return c == '?' }, "ı%3F"},
	} {
		if got := Escape(tc.in, tc.also); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTreeBelow(t *testing.T) {
	t.Parallel()
	tr := Tree{"root": "", "a": "root", "a1": "a", "b": "root"}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"a1", "a1", true},
		{"a1", "a", true},
		{"a1", "root", true},
		{"root", "root", true},
		{"a", "a1", false},
		{"b", "a", false},
		{"root", "a", false},
		{"nobody", "root", false},
	} {
		if got := tr.Below(tc.a, tc.b); got != tc.want {
			t.Errorf("Below(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestBrokenStoreSpare(t *testing.T) {
	t.Parallel()
	b := &BrokenStore{Fail: []string{"Find"}, Spare: 1}
	var got []bool
	for range 3 {
		got = append(got, b.fails("Find"))
	}
	got = append(got, b.fails("Count"))
	if d := cmp.Diff([]bool{false, true, true, false}, got); d != "" {
		t.Errorf("fails (-want +got):\n%s", d)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	n := Named{1: "x", 2: "y"}
	if d := cmp.Diff([]string{"y", "?", "x"}, n.Names([]int64{2, 3, 1})); d != "" {
		t.Errorf("Names (-want +got):\n%s", d)
	}
	if got := n.Names(nil); got == nil || len(got) != 0 {
		t.Errorf("Names(nil) = %#v, want an empty list", got)
	}
}
