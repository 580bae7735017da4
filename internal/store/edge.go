package store

// EdgeError is a driver error translated at the store edge into a domain
// error (event.ErrConflict, event.ErrInvalid, …) for a caller to map to a
// status. Its text is Message alone: the driver's words (constraint names,
// SQLSTATEs, the bytes it could not read) are for the log, never for a
// client, and a surface that shows err.Error() must not leak them. The
// driver error stays reachable with errors.As for logging and tests.
type EdgeError struct {
	Kind    error // the domain sentinel
	Message string
	Cause   error // the driver's error
}

func (e *EdgeError) Error() string   { return e.Message }
func (e *EdgeError) Unwrap() []error { return []error{e.Kind, e.Cause} }

// Edge wraps cause as kind with a message fit for a client.
func Edge(kind error, message string, cause error) error {
	return &EdgeError{Kind: kind, Message: message, Cause: cause}
}
