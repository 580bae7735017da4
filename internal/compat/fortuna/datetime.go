package fortuna

import (
	"strings"
	"time"
)

// maxDateTime bounds the text parsed as a date-time; nothing valid is
// longer (a nine-digit fraction and an offset make 35 bytes).
const maxDateTime = 64

// dateTimeLayouts are the ISO 8601 forms from and to accept, tried in
// order. Go's parser also takes a fraction of any length after the seconds.
// A form without a zone is UTC: the vendor documents the parameters as UTC
// timestamps, and an ASP.NET service reads an unzoned value the same way.
var dateTimeLayouts = []struct {
	layout string
	zoned  bool
}{
	{"2006-01-02T15:04:05Z07:00", true},
	{"2006-01-02T15:04:05Z0700", true},
	{"2006-01-02T15:04:05", false},
	{"2006-01-02T15:04Z07:00", true},
	{"2006-01-02T15:04Z0700", true},
	{"2006-01-02T15:04", false},
	{"2006-01-02", false},
}

// parseDateTime reads a from or to value. It accepts RFC 3339 with "Z" or
// an offset, the same without seconds, without a zone (UTC), and a bare
// date (midnight UTC). Letters may be lower case and a space may stand for
// the "T", as ISO 8601 and RFC 3339 allow.
//
// A "+" in an unencoded query string arrives as a space, so
// "09:14:33 02:00" is read as "09:14:33+02:00": a client that forgot to
// encode its offset gets the instant it meant rather than an error.
func parseDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) > maxDateTime || len(s) < len("2006-01-02") || !isASCII(s) {
		return time.Time{}, false
	}
	// ASCII only, so upper-casing keeps every byte where it was.
	s = strings.ToUpper(s)
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	if i := strings.LastIndexByte(s, ' '); i > 10 {
		s = s[:i] + "+" + s[i+1:]
	}
	for _, l := range dateTimeLayouts {
		var t time.Time
		var err error
		if l.zoned {
			t, err = time.Parse(l.layout, s)
		} else {
			t, err = time.ParseInLocation(l.layout, s, time.UTC)
		}
		if err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
