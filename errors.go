// Package steady holds what every layer of Steady shares: the error type
// whose codes the server maps to HTTP statuses in one place.
package steady

import (
	"errors"
	"fmt"
)

// Code classifies an error for callers that must react to its kind.
type Code string

const (
	NotFound     Code = "not_found"    // the thing does not exist (or has expired)
	Invalid      Code = "invalid"      // the input is wrong; nothing was changed
	Unauthorized Code = "unauthorized" // the caller is not who they must be (no or bad credentials)
	Forbidden    Code = "forbidden"    // the caller is known but may not do this
	Conflict     Code = "conflict"     // the thing exists, or changed underneath
	RateLimited  Code = "rate_limited" // too many attempts; try again later
	Unavailable  Code = "unavailable"  // a backing service cannot be reached
	Internal     Code = "internal"     // anything else
)

// Error is an error with a Code. Op names what failed ("memory.Record"),
// Msg explains it (including the cause's text, when Errorf made it), and
// Err is the cause, if any; with no Msg, the cause explains it.
type Error struct {
	Code Code
	Op   string
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	switch {
	case e.Msg != "":
		return e.Op + ": " + e.Msg
	case e.Err != nil:
		return e.Op + ": " + e.Err.Error()
	}
	return e.Op
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message. A %w verb also sets Err.
func Errorf(code Code, op, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Op: op, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// Wrap returns err as an *Error with code, unless err is nil.
func Wrap(code Code, op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Op: op, Err: err}
}

// ErrorCode returns the Code of the first *Error in err's chain, Internal if
// there is none, or "" for a nil error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err's code is code.
func Is(err error, code Code) bool { return ErrorCode(err) == code }
