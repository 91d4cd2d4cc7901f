package observe

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"sync"
)

// Values that say how they want to be written: json.Marshaler,
// encoding.TextMarshaler and error.

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	errorType     = reflect.TypeFor[error]()
)

type marshalKind uint8

const (
	plain marshalKind = iota + 1
	viaJSON
	viaText
	viaError
)

var marshalCache sync.Map // reflect.Type → marshalKind

// marshalKindOf caches which interface t implements: Implements walks the
// method set, too slow to repeat for every value of a call.
func marshalKindOf(t reflect.Type) marshalKind {
	if k, ok := marshalCache.Load(t); ok {
		return k.(marshalKind)
	}
	k := plain
	switch {
	case t.Implements(jsonMarshaler):
		k = viaJSON
	case t.Implements(textMarshaler):
		k = viaText
	case t.Implements(errorType):
		k = viaError
	}
	marshalCache.Store(t, k)
	return k
}

// special handles types that say how they want to be written.
func (e *encoder) special(v reflect.Value, depth int) bool {
	t := v.Type()
	if t == numberType { // a number decoded by walkJSON stays a number
		e.buf = append(e.buf, v.String()...)
		return true
	}
	if t.Kind() == reflect.Pointer && v.IsNil() {
		return false
	}
	switch marshalKindOf(t) {
	case viaJSON:
		b, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil || !json.Valid(b) {
			e.buf = appendString(e.buf, "<unserialisable "+t.String()+">")
			return true
		}
		e.walkJSON(b, depth)
	case viaText:
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			e.buf = appendString(e.buf, "<unserialisable "+t.String()+">")
			return true
		}
		e.buf = appendString(e.buf, string(b))
	case viaError:
		e.buf = appendString(e.buf, v.Interface().(error).Error())
	default:
		return false
	}
	return true
}

var numberType = reflect.TypeFor[json.Number]()

// walkJSON writes what a json.Marshaler produced. An object or array (a
// json.RawMessage of a tool's arguments, say) is decoded and walked like
// any value, so the redacted keys are redacted inside it too; copying it
// through would let {"api_key": …} reach the trace.
func (e *encoder) walkJSON(b []byte, depth int) {
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
		e.buf = append(e.buf, b...)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		e.buf = appendString(e.buf, "<unserialisable JSON>")
		return
	}
	e.value(reflect.ValueOf(v), depth+1)
}
