package frankieone

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/google/uuid"
)

// crockford is the Crockford base32 alphabet ULIDs are written in: no I,
// L, O or U, so an id read aloud or retyped survives.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// maxULIDTime is the largest millisecond time a ULID's 48 bits hold.
const maxULIDTime = 1<<48 - 1

// ulid encodes a 48-bit millisecond time and 80 bits of entropy as a
// 26-character ULID. The 128 bits are read as a 130-bit number whose top
// two bits are zero, five bits per character, most significant first, so
// ULIDs sort by time as strings.
func ulid(ms uint64, entropy [10]byte) string {
	if ms > maxULIDTime {
		ms = maxULIDTime
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], ms<<16)
	copy(b[6:], entropy[:])
	hi, lo := binary.BigEndian.Uint64(b[0:8]), binary.BigEndian.Uint64(b[8:16])
	var out [26]byte
	for i := range out {
		shift := uint(125 - 5*i)
		var d uint64
		if shift >= 64 {
			d = hi >> (shift - 64)
		} else {
			// Go defines shifts by 64 or more as 0, so shift == 0 is safe.
			d = lo>>shift | hi<<(64-shift)
		}
		out[i] = crockford[d&31]
	}
	return string(out[:])
}

// newRequestID is a fresh ULID for one response: FrankieOne answers every
// call with one, and support correlates it with the server log.
func newRequestID(now time.Time) string {
	var e [10]byte
	// crypto/rand.Read never fails on the platforms Go supports.
	_, _ = rand.Read(e[:])
	return ulid(clampMillis(now), e)
}

// eventRequestID is the requestId rendered for an event stored without a
// request_id. The schema requires one; deriving it from the event's time
// and uuid makes it a well-formed ULID that is the same on every read and
// differs between events, as a request id of its own would.
func eventRequestID(at time.Time, id uuid.UUID) string {
	var e [10]byte
	copy(e[:], id[6:])
	return ulid(clampMillis(at), e)
}

func clampMillis(t time.Time) uint64 {
	ms := t.UnixMilli()
	switch {
	case ms < 0:
		return 0
	case ms > maxULIDTime:
		return maxULIDTime
	}
	return uint64(ms)
}
