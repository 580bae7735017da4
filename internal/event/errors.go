package event

import (
	"errors"
	"fmt"
)

// Sentinel errors of the domain. Every layer wraps them with %w; the HTTP
// layer maps them to statuses in one table.
var (
	ErrInvalid      = errors.New("invalid")
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
	ErrUnavailable  = errors.New("unavailable")
	ErrTooLarge     = errors.New("too large")
)

// FieldError is a problem with one named field of the input. It matches
// ErrInvalid, or Kind when that is set (ErrForbidden for a tenant the key
// may not write, say).
type FieldError struct {
	Field   string // dotted path as the writer sent it: "actor.email", "events[3].action"
	Message string
	Kind    error
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Message)
}

// Is makes errors.Is(err, ErrInvalid) (or Kind) true for a FieldError.
func (e *FieldError) Is(target error) bool {
	if e.Kind != nil {
		return target == e.Kind
	}
	return target == ErrInvalid
}

// Invalid returns a FieldError for field.
func Invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// PrefixField returns err with prefix prepended to its field when err is a
// FieldError ("events[2]" + "action" → "events[2].action"); other errors are
// returned unchanged.
func PrefixField(prefix string, err error) error {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return err
	}
	f := prefix
	if fe.Field != "" {
		if fe.Field[0] == '[' {
			f += fe.Field
		} else {
			f += "." + fe.Field
		}
	}
	return &FieldError{Field: f, Message: fe.Message, Kind: fe.Kind}
}
