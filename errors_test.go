package steady_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/steady-voice/steady"
)

func TestErrorCodes(t *testing.T) {
	cause := errors.New("connection refused")
	tests := []struct {
		name string
		err  error
		want steady.Code
		text string
	}{
		{"nil", nil, "", ""},
		{"plain error", cause, steady.Internal, "connection refused"},
		{"wrapped", steady.Wrap(steady.Unavailable, "memory.Search", cause), steady.Unavailable, "memory.Search: connection refused"},
		{"formatted", steady.Errorf(steady.Invalid, "memory.Record", "k %d: want 1–100", 0), steady.Invalid, "memory.Record: k 0: want 1–100"},
		{"formatted with cause", steady.Errorf(steady.NotFound, "op", "no user: %w", cause), steady.NotFound, "op: no user: connection refused"},
		{"deep in a chain", fmt.Errorf("outer: %w", steady.Wrap(steady.Conflict, "op", cause)), steady.Conflict, "outer: op: connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := steady.ErrorCode(tc.err); got != tc.want {
				t.Errorf("ErrorCode = %q, want %q", got, tc.want)
			}
			if tc.err != nil && tc.err.Error() != tc.text {
				t.Errorf("Error() = %q, want %q", tc.err.Error(), tc.text)
			}
		})
	}
	if !errors.Is(steady.Errorf(steady.NotFound, "op", "x: %w", cause), cause) {
		t.Error("Errorf with %w does not unwrap to its cause")
	}
	if steady.Wrap(steady.Internal, "op", nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
}
