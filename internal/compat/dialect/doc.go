// Package dialect holds what the vendor dialects under internal/compat do
// alike: reading the presented key, authenticating it against a scope with
// a dialect's own refusals, turning inclusive time bounds into the store's
// microsecond range, checking text before it reaches the store, and
// telling a request whose client went away from a server error.
//
// Only logic that is the same in more than one dialect lives here; each
// dialect keeps its own wire formats, messages and error bodies.
package dialect
