package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// Args are a tool's validated arguments: integers as int, strings as
// string (trimmed), and absent optional arguments set to their defaults.
type Args map[string]any

// Validate checks a model's arguments for the tool. Empty raw and JSON null
// mean no arguments. An argument that is null, or a blank string, counts as
// absent. Enum values match regardless of case, spaces, '-' and '_' and are
// returned as declared. Errors are Invalid and say, for the model to read,
// what was wrong and what to send instead.
func (t Tool) Validate(raw json.RawMessage) (Args, error) {
	values, err := t.decode(raw)
	if err != nil {
		return nil, err
	}
	return t.check(values)
}

// decode reads raw into a map of JSON values, numbers kept as json.Number
// so that 3 and 3.5 can be told apart exactly.
func (t Tool) decode(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, nil
	case len(raw) > memory.MaxArgsBytes:
		return nil, t.invalid("arguments are %d bytes, the limit is %d; send %s", len(raw), memory.MaxArgsBytes, t.usage())
	case !utf8.Valid(raw):
		return nil, t.invalid("arguments are not valid UTF-8; send %s", t.usage())
	case !json.Valid(raw):
		return nil, t.invalid("arguments are not valid JSON; send %s", t.usage())
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, t.invalid("arguments are not valid JSON; send %s", t.usage())
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, t.invalid("arguments must be a JSON object like %s, got %s", t.usage(), describeArg(v))
	}
	return m, nil
}

// check turns decoded values (or Args) into Args. It is idempotent, so
// Execute can run it again on whatever Args it is handed.
func (t Tool) check(values map[string]any) (Args, error) {
	if err := t.checkNames(values); err != nil {
		return nil, err
	}
	args := make(Args, len(t.Params))
	for _, p := range t.Params {
		v, err := p.value(values[p.Name])
		if err != nil {
			return nil, t.invalid("%s", err)
		}
		if v != nil {
			args[p.Name] = v
		}
	}
	return args, nil
}

// checkNames refuses unknown arguments, naming the first in sorted order
// so that the message does not depend on map order.
func (t Tool) checkNames(values map[string]any) error {
	var unknown []string
	for name := range values {
		if !slices.ContainsFunc(t.Params, func(p Param) bool { return p.Name == name }) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	if len(t.Params) == 0 {
		return t.invalid("unknown argument %q; this tool takes no arguments, send {}", clipArg(unknown[0]))
	}
	return t.invalid("unknown argument %q; send %s", clipArg(unknown[0]), t.usage())
}

// value checks one argument; v is nil when the argument is absent.
func (p Param) value(v any) (any, error) {
	blank := false
	if s, ok := v.(string); ok && utf8.ValidString(s) && strings.TrimSpace(s) == "" {
		v, blank = nil, true
	}
	switch {
	case v == nil && p.Required && blank:
		return nil, fmt.Errorf("required argument %q is blank (%s)", p.Name, p.hint())
	case v == nil && p.Required:
		return nil, fmt.Errorf("missing required argument %q (%s)", p.Name, p.hint())
	case v == nil:
		return p.Default, nil
	case p.Type == Integer:
		return p.integer(v)
	case p.Type == String:
		return p.text(v)
	}
	return nil, fmt.Errorf("argument %q has an unknown type %q", p.Name, p.Type)
}

func (p Param) integer(v any) (any, error) {
	n, ok := toInt(v)
	if !ok || n < p.Min || p.Max > 0 && n > p.Max {
		return nil, fmt.Errorf("%q must be %s, got %s", p.Name, p.intRange(), describeArg(v))
	}
	return n, nil
}

// toInt accepts a number with an integral value (3, 3.0, 3e0), from JSON or
// from Args built in Go.
func toInt(v any) (int, bool) {
	var f float64
	switch n := v.(type) {
	case int:
		return n, true
	case json.Number:
		if i, err := strconv.ParseInt(string(n), 10, 0); err == nil {
			return int(i), true
		}
		var err error
		if f, err = strconv.ParseFloat(string(n), 64); err != nil {
			return 0, false
		}
	case float64:
		f = n
	default:
		return 0, false
	}
	// Beyond 2^53 a float64 no longer says which integer it meant.
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(f), true
}

func (p Param) text(v any) (any, error) {
	s, ok := v.(string)
	switch {
	case !ok:
		return nil, fmt.Errorf("%q must be a string, got %s", p.Name, describeArg(v))
	case !utf8.ValidString(s):
		return nil, fmt.Errorf("%q is not valid UTF-8", p.Name)
	}
	s = strings.TrimSpace(s)
	if p.MaxLen > 0 && len(s) > p.MaxLen {
		return nil, fmt.Errorf("%q is %d bytes long, the limit is %d: shorten it", p.Name, len(s), p.MaxLen)
	}
	if p.Enum == nil {
		return s, nil
	}
	for _, e := range p.Enum {
		if enumKey(e) == enumKey(s) {
			return e, nil
		}
	}
	return nil, fmt.Errorf("%q must be one of %s, got %q", p.Name, strings.Join(p.Enum, ", "), clipArg(s))
}

// enumKey folds the spellings models use for one value ("Body Scan",
// "body-scan", "body_scan") together.
func enumKey(s string) string {
	return strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(s))
}

// hint is the type and description of p, for a model that left it out.
func (p Param) hint() string {
	d := p.Description
	if d != "" {
		r, n := utf8.DecodeRuneInString(d)
		d = ", " + strings.ToLower(string(r)) + d[n:]
	}
	return string(p.Type) + d
}

func (p Param) intRange() string {
	if p.Max > 0 {
		return fmt.Sprintf("an integer from %d to %d", p.Min, p.Max)
	}
	return fmt.Sprintf("an integer of at least %d", p.Min)
}

// usage sketches the arguments the tool takes: {"task": string, "minutes":
// integer}.
func (t Tool) usage() string {
	parts := make([]string, len(t.Params))
	for i, p := range t.Params {
		parts[i] = fmt.Sprintf("%q: %s", p.Name, p.Type)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// describeArg names a value a model sent, for an error message.
func describeArg(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(clipArg(v))
	case json.Number:
		return clipArg(string(v))
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return clipArg(fmt.Sprint(v))
}

// clipArg shortens what an error quotes back, so a long argument does not
// become a long error.
func clipArg(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

func (t Tool) invalid(format string, args ...any) error {
	return steady.Errorf(steady.Invalid, t.Name, format, args...)
}
