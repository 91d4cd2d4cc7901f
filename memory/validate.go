package memory

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/steady-voice/steady"
)

// Limits on what the memory accepts. A turn of speech is far below them; a
// request above them is a mistake or an attack, and is refused whole.
const (
	MaxIDBytes      = 128     // user and session ids
	MaxContextBytes = 8 << 10 // what the user said
	MaxTextBytes    = 8 << 10 // what the agent did or said
	MaxTaskBytes    = 1 << 10
	MaxArgsBytes    = 8 << 10
	MaxInsightBytes = 4 << 10
	MaxSummaryRunes = 500
	MaxScores       = 32
	MaxK            = 100
)

// ValidID reports whether s can be a user or session id: 1 to MaxIDBytes
// letters, digits, '-', '_', '.' or '@'. Everything else ("{", "}", ":",
// "*", "?", "[", "]", spaces) is refused before it reaches a store.
func ValidID(s string) bool {
	if s == "" || len(s) > MaxIDBytes {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '_' || r == '.' || r == '@'
		if !ok {
			return false
		}
	}
	return true
}

// validName reports whether s is a tool or score name: 1–64 of a-z, 0-9, '_'.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func invalid(op, format string, args ...any) error {
	return steady.Errorf(steady.Invalid, op, format, args...)
}

func checkID(op, what, id string) error {
	if !ValidID(id) {
		return invalid(op, "%s %q: want 1–%d letters, digits, '-', '_', '.' or '@'", what, clip(id), MaxIDBytes)
	}
	return nil
}

func checkText(op, what, s string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return invalid(op, "%s is empty", what)
	case len(s) > max:
		return invalid(op, "%s has %d bytes, the limit is %d", what, len(s), max)
	case !utf8.ValidString(s):
		return invalid(op, "%s is not valid UTF-8", what)
	}
	return nil
}

func checkOutcome(op string, o Outcome) error {
	for _, v := range Outcomes {
		if o == v {
			return nil
		}
	}
	return invalid(op, "unknown outcome %q (want one of %v)", clip(string(o)), Outcomes)
}

func checkCategory(op string, c Category) error {
	if c == Task || c == Feedback || c == Emotional {
		return nil
	}
	return invalid(op, "unknown category %q (want task, feedback or emotional)", clip(string(c)))
}

func checkScores(op string, scores map[string]float64) error {
	if len(scores) > MaxScores {
		return invalid(op, "%d scores, the limit is %d", len(scores), MaxScores)
	}
	for name, v := range scores {
		if !validName(name) {
			return invalid(op, "score name %q: want 1–64 of a-z, 0-9 and _", clip(name))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return invalid(op, "score %s is %v, want a finite number", name, v)
		}
	}
	return nil
}

func checkArgs(op string, args json.RawMessage) error {
	if len(args) == 0 {
		return nil
	}
	if len(args) > MaxArgsBytes {
		return invalid(op, "args have %d bytes, the limit is %d", len(args), MaxArgsBytes)
	}
	if !json.Valid(args) {
		return invalid(op, "args are not valid JSON")
	}
	return nil
}

// checkVector accepts a finite, non-zero vector of the embedder's size.
func checkVector(op string, v []float32, dims int) error {
	if len(v) != dims {
		return invalid(op, "vector has %d dimensions, the embedder makes %d", len(v), dims)
	}
	var ss float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return invalid(op, "vector holds %v", x)
		}
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return invalid(op, "vector is zero")
	}
	return nil
}

// clip shortens what an error message quotes back, so a megabyte of bad
// input does not become a megabyte of log.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s…", strings.ToValidUTF8(s[:n], ""))
}
