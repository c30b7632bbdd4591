package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Each maps to one HTTP status in the web layer's single table.
const (
	EInvalid      = "invalid"
	ENotFound     = "not_found"
	EConflict     = "conflict"
	EUnauthorized = "unauthorized"
	EForbidden    = "forbidden"
	ETooLarge     = "too_large"
	ERateLimited  = "rate_limited"
	EInternal     = "internal"
)

// Error is the one application error type. Message is safe to show to a
// user; anything else (driver errors, paths) stays in the wrapped cause and
// only reaches the log.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	Cause   error
}

// FieldError names one invalid field so a form can show every problem at once.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	b.WriteString(": ")
	b.WriteString(e.Message)
	for _, f := range e.Fields {
		b.WriteString("; ")
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Cause }

// Is lets errors.Is(err, ErrNotFound) match any not-found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// Sentinels for errors.Is; they carry only a code.
var (
	ErrNotFound     = &Error{Code: ENotFound}
	ErrConflict     = &Error{Code: EConflict}
	ErrForbidden    = &Error{Code: EForbidden}
	ErrUnauthorized = &Error{Code: EUnauthorized}
	ErrInvalid      = &Error{Code: EInvalid}
)

// Errorf builds an application error with a user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound is the error for a missing record of the named kind.
func NotFound(kind string) *Error {
	return &Error{Code: ENotFound, Message: kind + " not found"}
}

// Conflict is the error for a save based on a stale version.
func Conflict(kind string) *Error {
	return &Error{Code: EConflict, Message: "this " + kind + " was changed by someone else since you opened it; your changes were not saved"}
}

// ErrorCode returns the code of an application error, or EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-safe message of an error; internal errors
// never leak their detail.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal && e.Message != "" {
		return e.Message
	}
	if errors.As(err, &e) && e.Message == "" && e.Code != EInternal {
		return strings.ReplaceAll(e.Code, "_", " ")
	}
	return "internal error"
}

// ErrorFields returns the per-field problems of a validation error.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Problems collects field errors during validation so that every problem is
// reported at once instead of one per round trip.
type Problems struct{ list []FieldError }

// Add records a problem with field.
func (p *Problems) Add(field, format string, args ...any) {
	p.list = append(p.list, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing was added, else an EInvalid error listing all.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: "some fields need attention", Fields: p.list}
}

// Has reports whether field already has a problem.
func (p *Problems) Has(field string) bool {
	for _, f := range p.list {
		if f.Field == field {
			return true
		}
	}
	return false
}
