package fortuna

import (
	"testing"
	"time"
)

func TestParseDateTime(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC; "" for a value that is refused
	}{
		{"2024-06-12T09:14:33Z", "2024-06-12T09:14:33Z"},
		{"2024-06-12T09:14:33.123456789Z", "2024-06-12T09:14:33.123456789Z"},
		{"2024-06-12T11:14:33+02:00", "2024-06-12T09:14:33Z"},
		{"2024-06-12T04:14:33-05:00", "2024-06-12T09:14:33Z"},
		{"2024-06-12T11:14:33+0200", "2024-06-12T09:14:33Z"},
		{"2024-06-12T11:14:33 02:00", "2024-06-12T09:14:33Z"}, // "+" decoded as a space
		{"2024-06-12T11:14:33.5 02:00", "2024-06-12T09:14:33.5Z"},
		{"2024-06-12T09:14:33", "2024-06-12T09:14:33Z"},
		{"2024-06-12T09:14:33.25", "2024-06-12T09:14:33.25Z"},
		{"2024-06-12 09:14:33Z", "2024-06-12T09:14:33Z"},
		{"2024-06-12 09:14:33", "2024-06-12T09:14:33Z"},
		{"2024-06-12t09:14:33z", "2024-06-12T09:14:33Z"},
		{"2024-06-12T09:14Z", "2024-06-12T09:14:00Z"},
		{"2024-06-12T09:14", "2024-06-12T09:14:00Z"},
		{"2024-06-12T11:14+02:00", "2024-06-12T09:14:00Z"},
		{"2024-06-12", "2024-06-12T00:00:00Z"},
		{"  2024-06-12T09:14:33Z  ", "2024-06-12T09:14:33Z"},
		{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"},
		{"9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999999Z"},
		{"", ""},
		{"2024", ""},
		{"2024-06", ""},
		{"2024-6-12", ""},
		{"12/06/2024", ""},
		{"2024-06-12T", ""},
		{"2024-06-12T09", ""},
		{"2024-02-30T00:00:00Z", ""},
		{"2024-06-12T24:00:00Z", ""},
		{"2024-06-12T09:14:60Z", ""},
		{"2024-06-12T09:14:33ZZ", ""},
		{"2024-06-12T09:14:33+2", ""},
		{"2024-06-12T09:14:33 +02:00", ""},
		{"1718183673", ""},
		{"ıııııııııııııııı", ""},
		{"2024-06-12T09:14:33Z" + string(make([]byte, 64)), ""},
	}
	for _, tc := range tests {
		got, ok := parseDateTime(tc.in)
		if tc.want == "" {
			if ok {
				t.Errorf("parseDateTime(%q) = %v, want refused", tc.in, got)
			}
			continue
		}
		if !ok || !got.Equal(utc(tc.want)) || got.Location() != time.UTC {
			t.Errorf("parseDateTime(%q) = %v, %v; want %s", tc.in, got, ok, tc.want)
		}
	}
}

func TestCeilMicro(t *testing.T) {
	t.Parallel()
	base := time.Date(2024, 6, 12, 9, 14, 33, 0, time.UTC)
	for _, tc := range []struct{ in, want time.Duration }{
		{0, 0},
		{1, time.Microsecond},
		{999, time.Microsecond},
		{1000, time.Microsecond},
		{1001, 2 * time.Microsecond},
	} {
		if got := ceilMicro(base.Add(tc.in)); !got.Equal(base.Add(tc.want)) {
			t.Errorf("ceilMicro(+%v) = +%v, want +%v", tc.in, got.Sub(base), tc.want)
		}
	}
}
