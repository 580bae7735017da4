package dialect

import (
	"testing"
	"time"
)

// TestFromUntil checks the bounds of an instant with nanoseconds: From
// rounds up to a whole microsecond, Until is the microsecond after the
// instant truncated.
func TestFromUntil(t *testing.T) {
	t.Parallel()
	base := time.Date(2024, 6, 12, 9, 14, 33, 0, time.UTC)
	for _, tc := range []struct{ in, from, until time.Duration }{
		{0, 0, time.Microsecond},
		{1, time.Microsecond, time.Microsecond},
		{999, time.Microsecond, time.Microsecond},
		{1000, time.Microsecond, 2 * time.Microsecond},
		{1001, 2 * time.Microsecond, 2 * time.Microsecond},
	} {
		if got := From(base.Add(tc.in)); !got.Equal(base.Add(tc.from)) {
			t.Errorf("From(+%v) = +%v, want +%v", tc.in, got.Sub(base), tc.from)
		}
		if got := Until(base.Add(tc.in)); !got.Equal(base.Add(tc.until)) {
			t.Errorf("Until(+%v) = +%v, want +%v", tc.in, got.Sub(base), tc.until)
		}
	}
}

func TestParseBound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		end  bool
		want string // RFC 3339; "" for a value that is refused
	}{
		{"2024-06-12", false, "2024-06-12T00:00:00Z"},
		{"2024-06-12", true, "2024-06-13T00:00:00Z"},
		{"2024-06-12T09:14:33Z", false, "2024-06-12T09:14:33Z"},
		{"2024-06-12T09:14:33Z", true, "2024-06-12T09:14:33.000001Z"},
		{"2024-06-12T09:14:33.0000001Z", false, "2024-06-12T09:14:33.000001Z"},
		{"2024-06-12T09:14:33.0000001Z", true, "2024-06-12T09:14:33.000001Z"},
		{"2024-06-12T11:14:33+02:00", false, "2024-06-12T09:14:33Z"},
		{"2024-06-12T09:14:33", false, ""},
		{"2024-02-30", false, ""},
		{"12/06/2024", true, ""},
		{"", false, ""},
	}
	for _, tc := range tests {
		got, ok := ParseBound(tc.in, tc.end)
		if tc.want == "" {
			if ok {
				t.Errorf("ParseBound(%q, %v) = %v, want refused", tc.in, tc.end, got)
			}
			continue
		}
		want, err := time.Parse(time.RFC3339Nano, tc.want)
		if err != nil {
			t.Fatal(err)
		}
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseBound(%q, %v) = %v, %v; want %v", tc.in, tc.end, got, ok, want)
		}
	}
}
