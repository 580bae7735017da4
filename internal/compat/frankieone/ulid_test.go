package frankieone

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// decodeULID reads a ULID back into its time and entropy, the slow way.
func decodeULID(t *testing.T, s string) (uint64, [10]byte) {
	t.Helper()
	n := new(big.Int)
	for _, c := range s {
		d := strings.IndexRune(crockford, c)
		if d < 0 {
			t.Fatalf("%q: %q is not Crockford base32", s, c)
		}
		n.Lsh(n, 5).Or(n, big.NewInt(int64(d)))
	}
	b := n.FillBytes(make([]byte, 17)) // 130 bits; the top two must be 0
	if b[0] != 0 {
		t.Fatalf("%q overflows 128 bits", s)
	}
	var e [10]byte
	copy(e[:], b[7:])
	ms := uint64(0)
	for _, x := range b[1:7] {
		ms = ms<<8 | uint64(x)
	}
	return ms, e
}

func TestULID(t *testing.T) {
	t.Parallel()
	ff := [10]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	tests := []struct {
		name    string
		ms      uint64
		entropy [10]byte
		want    string
	}{
		{"zero", 0, [10]byte{}, "00000000000000000000000000"},
		// The time of the ULID specification's example.
		{"spec time", 1469922850259, [10]byte{}, "01ARZ3NDEK0000000000000000"},
		{"max", maxULIDTime, ff, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"},
		{"clamped", maxULIDTime + 5, ff, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"},
		{"entropy low bit", 0, [10]byte{9: 1}, "00000000000000000000000001"},
		{"entropy high bit", 0, [10]byte{0: 0x80}, "0000000000G000000000000000"},
	}
	for _, tc := range tests {
		if got := ulid(tc.ms, tc.entropy); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	for _, ms := range []uint64{0, 1, 1469922850259, 1 << 40, maxULIDTime} {
		e := [10]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
		s := ulid(ms, e)
		gotMS, gotE := decodeULID(t, s)
		if gotMS != ms || gotE != e {
			t.Errorf("%s decodes to %d %x, want %d %x", s, gotMS, gotE, ms, e)
		}
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 15, 14, 30, 0, 0, time.UTC)
	a, b := newRequestID(now), newRequestID(now)
	if a == b || len(a) != 26 || a[:10] != b[:10] {
		t.Errorf("two fresh ids %s, %s: want the same time and different entropy", a, b)
	}
	if ms, _ := decodeULID(t, a); ms != uint64(now.UnixMilli()) {
		t.Errorf("time %d, want %d", ms, now.UnixMilli())
	}
	if later := newRequestID(now.Add(time.Millisecond)); later <= a && later <= b {
		t.Errorf("a later id %s sorts before %s and %s", later, a, b)
	}
	u := uuid.MustParse("0191f5a7-3d99-7f81-b7ec-962a5f5fdd7c")
	x, y := eventRequestID(now, u), eventRequestID(now, u)
	if x != y {
		t.Errorf("derived ids differ: %s, %s", x, y)
	}
	if _, e := decodeULID(t, x); string(e[:]) != string(u[6:]) {
		t.Errorf("derived id %s does not carry the uuid's last 80 bits", x)
	}
	if z := eventRequestID(now, uuid.MustParse("0191f5a7-3d99-7f81-b7ec-962a5f5fdd7d")); z == x {
		t.Errorf("two events share the derived id %s", z)
	}
	if got := eventRequestID(time.Unix(-5, 0), u); got[:10] != "0000000000" {
		t.Errorf("a time before 1970 gives %s", got)
	}
}
