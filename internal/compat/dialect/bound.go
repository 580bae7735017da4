package dialect

import "time"

// From is the store's inclusive lower bound for "at or after t": t rounded
// up to a whole microsecond, the precision events are stored with, so that
// the bound keeps its meaning for a t with nanoseconds.
func From(t time.Time) time.Time {
	c := t.Truncate(time.Microsecond)
	if c.Before(t) {
		c = c.Add(time.Microsecond)
	}
	return c
}

// Until is the store's exclusive upper bound for "at or before t": the
// microsecond after t truncated to whole microseconds.
func Until(t time.Time) time.Time {
	return t.Truncate(time.Microsecond).Add(time.Microsecond)
}

// ParseBound reads an inclusive time bound written as a date (2024-06-12,
// the whole UTC day) or an RFC 3339 date-time, and returns the store's
// bound: From of the lower one, or, with end, Until of the upper one. ok is
// false when v is neither form.
func ParseBound(v string, end bool) (bound time.Time, ok bool) {
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			return d.AddDate(0, 0, 1), true
		}
		return d, true
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false
	}
	if end {
		return Until(t.UTC()), true
	}
	return From(t.UTC()), true
}
