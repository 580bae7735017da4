package dialect

import (
	"errors"

	"github.com/auditkeep/auditkeep/internal/query"
)

// TimedOut returns what a dialect may tell its client of a read cut at
// its deadline (query.TimeoutError), in place of "unavailable": the limit
// and what to do. ok is false for every other error.
func TimedOut(err error) (msg string, ok bool) {
	var te *query.TimeoutError
	if !errors.As(err, &te) {
		return "", false
	}
	return "The query took longer than its limit of " + te.Limit.String() + " and was cancelled; narrow it or retry later.", true
}
