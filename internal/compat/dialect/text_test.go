package dialect

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", true},
		{"café", true},
		{strings.Repeat("x", MaxValueBytes), true},
		{strings.Repeat("x", MaxValueBytes+1), false},
		{"a\x00b", false},
		{"\xff\xfe", false},
	} {
		if got := ValidText(tc.in); got != tc.want {
			t.Errorf("ValidText(%.20q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestDedupe(t *testing.T) {
	t.Parallel()
	got := Dedupe([]string{"b", "a", "b", "", "a", ""})
	if d := cmp.Diff([]string{"b", "a", ""}, got); d != "" {
		t.Errorf("Dedupe (-want +got):\n%s", d)
	}
}
