package dialect

import (
	"slices"

	"github.com/auditkeep/auditkeep/internal/event"
)

// MaxValueBytes bounds one parameter value, so that one request's SQL
// stays small.
const MaxValueBytes = 1024

// ValidText reports whether v can be compared with stored text on every
// engine: PostgreSQL refuses invalid UTF-8 and NUL. Text the database could
// not compare names nothing, so a dialect refuses it (or finds nothing)
// rather than turn a client's mistake into a database error.
func ValidText(v string) bool {
	return len(v) <= MaxValueBytes && event.ValidText(v)
}

// Dedupe returns vs without repeats, in the order of first appearance.
func Dedupe(vs []string) []string {
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
