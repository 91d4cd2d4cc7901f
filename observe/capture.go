package observe

import (
	"encoding"
	"encoding/base64"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// DefaultMaxBytes caps one captured input or output.
const DefaultMaxBytes = 16 << 10

// DefaultRedactKeys are the keys whose values never leave the process.
var DefaultRedactKeys = []string{"password", "token", "api_key", "authorization", "secret"}

// Placeholders written instead of values that cannot be serialised.
const (
	redacted       = "[REDACTED]"
	truncateMarker = "…[truncated]"
	maxDepth       = 32
)

// Capture says what an Op records of its inputs and output. The zero value
// captures with the defaults.
//
// Redaction matches keys (map keys, JSON field names of structs) at any depth,
// case-insensitively and by whole words: a key is split into words at
// '_', '-', '.', spaces and lowerCamel boundaries, and it is redacted when a
// run of consecutive words, joined, equals a redact key with its separators
// removed. So "api_key" redacts "wandb-api-key", "X-Api-Key", "apiKey" and
// "apikey"; "token" redacts "access_token" but not "input_tokens" (token
// counts are not secrets) nor "tokenizer".
type Capture struct {
	// Disabled turns capture off: spans then carry no input or output at all.
	Disabled bool
	// MaxBytes caps each serialised value; 0 means DefaultMaxBytes. A value
	// over the cap is cut (it is then not valid JSON), ends with
	// "…[truncated]" and the span gets steady.content.truncated=true.
	MaxBytes int
	// RedactKeys replaces DefaultRedactKeys when non-nil.
	RedactKeys []string
}

// capturer is a Capture compiled once, so each call only walks the value.
type capturer struct {
	disabled bool
	max      int
	redact   []string // lower-case, separators removed
}

func (c Capture) compile() *capturer {
	keys := c.RedactKeys
	if keys == nil {
		keys = DefaultRedactKeys
	}
	cc := &capturer{disabled: c.Disabled, max: c.MaxBytes}
	if cc.max <= 0 {
		cc.max = DefaultMaxBytes
	}
	for _, k := range keys {
		if n := normaliseKey(k); n != "" {
			cc.redact = append(cc.redact, n)
		}
	}
	return cc
}

// Encode serialises v as JSON the way an Op records it: redacted, capped,
// never panicking. truncated reports whether the cap cut it.
func (c Capture) Encode(v any) (s string, truncated bool) {
	return c.compile().encode(v)
}

func (c *capturer) encode(v any) (s string, truncated bool) {
	e := encoder{c: c}
	bp := bufPool.Get().(*[]byte)
	e.buf = (*bp)[:0]
	defer func() {
		if cap(e.buf) <= maxPooled {
			*bp = e.buf[:0]
			bufPool.Put(bp)
		}
	}()
	if !e.fast(v) {
		e.walk(v)
	}
	if e.truncated || len(e.buf) > c.max {
		return cutUTF8(e.buf, c.max) + truncateMarker, true
	}
	return string(e.buf), false
}

// clip shortens a string that cannot fit in what is left of the cap, so a
// huge string costs no more than the cap; the result still passes the cap,
// so the walk reports truncation.
func (e *encoder) clip(s string) string {
	n := e.c.max - len(e.buf) + 1
	if n < 0 {
		n = 0
	}
	if len(s) <= n {
		return s
	}
	for n < len(s) && !utf8.RuneStart(s[n]) {
		n++
	}
	return s[:n]
}

// maxPooled keeps buffers grown by a rare huge value out of the pool.
const maxPooled = 64 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// fast writes the common small values without reflection.
func (e *encoder) fast(v any) bool {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		e.buf = appendString(e.buf, e.clip(x))
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	default:
		return false
	}
	return true
}

func (e *encoder) walk(v any) {
	// A panic in user code (MarshalJSON, String) must not take the call down.
	defer func() {
		if r := recover(); r != nil && r != errTruncated {
			e.buf = appendString(e.buf[:0], fmt.Sprintf("<unserialisable: panic: %v>", r))
		}
	}()
	e.value(reflect.ValueOf(v), 0)
}

// cutUTF8 cuts b to at most n bytes without splitting a rune.
func cutUTF8(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n])
}

// errTruncated unwinds the walk as soon as the cap is passed, so a huge value
// costs no more than the cap.
var errTruncated = &struct{ string }{"truncated"}

type encoder struct {
	c         *capturer
	buf       []byte
	truncated bool
	path      []visit // references on the current path, to detect cycles
}

type visit struct {
	p uintptr
	t reflect.Type
}

func (e *encoder) check() {
	if len(e.buf) > e.c.max {
		e.truncated = true
		panic(errTruncated)
	}
}

func (e *encoder) value(v reflect.Value, depth int) {
	e.check()
	if !v.IsValid() {
		e.buf = append(e.buf, "null"...)
		return
	}
	if depth > maxDepth {
		e.buf = appendString(e.buf, "<max depth>")
		return
	}
	if e.special(v, depth) {
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.buf = strconv.AppendUint(e.buf, v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		e.float(v.Float(), v.Type().Bits())
	case reflect.Complex64, reflect.Complex128:
		e.buf = appendString(e.buf, fmt.Sprint(v.Complex()))
	case reflect.String:
		e.buf = appendString(e.buf, e.clip(v.String()))
	case reflect.Pointer, reflect.Interface:
		e.indirect(v, depth)
	case reflect.Map:
		e.guard(v, depth, e.mapValue)
	case reflect.Slice:
		e.guard(v, depth, e.list)
	case reflect.Array:
		e.list(v, depth)
	case reflect.Struct:
		e.structValue(v, depth)
	default: // chan, func, unsafe.Pointer
		e.buf = appendString(e.buf, "<"+v.Type().String()+">")
	}
}

func (e *encoder) float(f float64, bits int) {
	switch {
	case math.IsNaN(f):
		e.buf = appendString(e.buf, "NaN")
	case math.IsInf(f, 1):
		e.buf = appendString(e.buf, "+Inf")
	case math.IsInf(f, -1):
		e.buf = appendString(e.buf, "-Inf")
	default:
		e.buf = strconv.AppendFloat(e.buf, f, 'g', -1, bits)
	}
}

func (e *encoder) indirect(v reflect.Value, depth int) {
	if v.IsNil() {
		e.buf = append(e.buf, "null"...)
		return
	}
	if v.Kind() == reflect.Interface {
		e.value(v.Elem(), depth+1)
		return
	}
	e.guard(v, depth, func(v reflect.Value, depth int) { e.value(v.Elem(), depth+1) })
}

// guard writes a placeholder instead of following a reference already on the
// current path, which would never end.
func (e *encoder) guard(v reflect.Value, depth int, write func(reflect.Value, int)) {
	if v.IsNil() {
		e.buf = append(e.buf, "null"...)
		return
	}
	// Keyed by type too: a struct and its first field share an address.
	p := visit{v.Pointer(), v.Type()}
	if slices.Contains(e.path, p) {
		e.buf = appendString(e.buf, "<cycle>")
		return
	}
	e.path = append(e.path, p)
	write(v, depth)
	e.path = e.path[:len(e.path)-1]
}

func (e *encoder) list(v reflect.Value, depth int) {
	if v.Type().Elem().Kind() == reflect.Uint8 && v.Kind() == reflect.Slice {
		e.buf = appendString(e.buf, base64.StdEncoding.EncodeToString(v.Bytes()))
		return
	}
	e.buf = append(e.buf, '[')
	for i := range v.Len() {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.value(v.Index(i), depth+1)
	}
	e.buf = append(e.buf, ']')
}

func (e *encoder) mapValue(v reflect.Value, depth int) {
	type entry struct {
		key string
		val reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		entries = append(entries, entry{mapKey(it.Key()), it.Value()})
	}
	// Sorted, like encoding/json, so equal values serialise equally.
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	e.buf = append(e.buf, '{')
	for i, en := range entries {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.field(en.key, en.val, depth)
	}
	e.buf = append(e.buf, '}')
}

func mapKey(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		if b, err := tm.MarshalText(); err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(k.Interface())
}

func (e *encoder) field(key string, v reflect.Value, depth int) {
	e.buf = appendString(e.buf, key)
	e.buf = append(e.buf, ':')
	if e.c.redacts(key) {
		e.buf = appendString(e.buf, redacted)
		return
	}
	e.value(v, depth+1)
}

func (e *encoder) structValue(v reflect.Value, depth int) {
	e.buf = append(e.buf, '{')
	n := 0
	for _, f := range fieldsOf(v.Type()) {
		fv, ok := fieldByIndex(v, f.index)
		if !ok || f.omitEmpty && fv.IsZero() {
			continue
		}
		if n > 0 {
			e.buf = append(e.buf, ',')
		}
		n++
		e.field(f.name, fv, depth)
	}
	e.buf = append(e.buf, '}')
}

// fieldByIndex is reflect's FieldByIndex without the panic on a nil embedded
// pointer.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

type fieldInfo struct {
	name      string
	index     []int
	omitEmpty bool
}

var fieldCache sync.Map // reflect.Type → []fieldInfo

// fieldsOf lists the exported fields encoding/json would write, flattening
// untagged embedded structs; computed once per type.
func fieldsOf(t reflect.Type) []fieldInfo {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]fieldInfo)
	}
	fs := collectFields(t, nil, 0)
	fieldCache.Store(t, fs)
	return fs
}

func collectFields(t reflect.Type, prefix []int, depth int) []fieldInfo {
	var out []fieldInfo
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		index := append(slices.Clone(prefix), i)
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct && depth < maxDepth {
			out = append(out, collectFields(ft, index, depth+1)...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, fieldInfo{name: name, index: index, omitEmpty: strings.Contains(opts, "omitempty")})
	}
	return out
}

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
