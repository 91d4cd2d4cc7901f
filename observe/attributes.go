package observe

import (
	"context"
	"fmt"
	"maps"
	"math"
	"reflect"

	"go.opentelemetry.io/otel/attribute"
)

// Context keys that are also written under their OpenTelemetry names, so
// every backend can filter calls by user and conversation.
const (
	keyUserID    = "user_id"
	keySessionID = "session_id"
)

type attrsKey struct{}

// ctxAttrs is computed once per WithAttributes, so each Op call only
// appends a ready slice.
type ctxAttrs struct {
	values map[string]any
	kvs    []attribute.KeyValue
}

// WithAttributes returns a context whose attributes label every span an Op
// starts under it. Calls nest: the inner value wins on the same key. Values
// become OpenTelemetry values (strings, bools, integers, floats and slices
// of those; anything else as JSON); keys the capture settings redact are
// written as "[REDACTED]". user_id is also written as user.id, session_id
// as session.id and gen_ai.conversation.id, and all of them together as one
// JSON object in wandb.attributes.
func WithAttributes(ctx context.Context, attrs map[string]any) context.Context {
	merged := make(map[string]any, len(attrs))
	if parent, ok := ctx.Value(attrsKey{}).(*ctxAttrs); ok {
		maps.Copy(merged, parent.values)
	}
	maps.Copy(merged, attrs)
	return context.WithValue(ctx, attrsKey{}, buildAttrs(merged, current.Load().capture))
}

func contextAttributes(ctx context.Context) []attribute.KeyValue {
	if a, ok := ctx.Value(attrsKey{}).(*ctxAttrs); ok {
		return a.kvs
	}
	return nil
}

func buildAttrs(values map[string]any, c *capturer) *ctxAttrs {
	kvs := make([]attribute.KeyValue, 0, len(values)+4)
	for k, v := range values {
		if c.redacts(k) {
			v = redacted
		}
		kvs = append(kvs, attribute.KeyValue{Key: attribute.Key(k), Value: toValue(v, c)})
	}
	if v, ok := values[keyUserID]; ok && !c.redacts(keyUserID) {
		kvs = append(kvs, attribute.String(AttrUserID, stringOf(v)))
	}
	if v, ok := values[keySessionID]; ok && !c.redacts(keySessionID) {
		kvs = append(kvs, attribute.String(AttrSessionID, stringOf(v)), attribute.String(AttrGenAIConversationID, stringOf(v)))
	}
	// Capped like any content, so a large attribute cannot bloat every span.
	js, _ := c.encode(values)
	kvs = append(kvs, attribute.String(AttrWandbAttributes, js))
	return &ctxAttrs{values: values, kvs: kvs}
}

func stringOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// toValue converts any Go value to an attribute value, keeping the native
// types OpenTelemetry has and writing the rest as JSON.
func toValue(v any, c *capturer) attribute.Value {
	switch x := v.(type) {
	case string:
		return attribute.StringValue(x)
	case bool:
		return attribute.BoolValue(x)
	case []string:
		return attribute.StringSliceValue(x)
	case []bool:
		return attribute.BoolSliceValue(x)
	case []int64:
		return attribute.Int64SliceValue(x)
	case []float64:
		return attribute.Float64SliceValue(x)
	}
	rv := reflect.ValueOf(v)
	if val, ok := scalarValue(rv); ok {
		return val
	}
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		if val, ok := sliceValue(rv); ok {
			return val
		}
	}
	s, _ := c.encode(v)
	return attribute.StringValue(s)
}

func scalarValue(rv reflect.Value) (attribute.Value, bool) {
	switch rv.Kind() {
	case reflect.String:
		return attribute.StringValue(rv.String()), true
	case reflect.Bool:
		return attribute.BoolValue(rv.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return attribute.Int64Value(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return attribute.Int64Value(int64(u)), true
		}
		return attribute.StringValue(fmt.Sprint(rv.Uint())), true
	case reflect.Float32, reflect.Float64:
		return attribute.Float64Value(rv.Float()), true
	}
	return attribute.Value{}, false
}

// sliceValue converts slices whose elements all map to one attribute type
// (e.g. []int, []float32, []MyString).
func sliceValue(rv reflect.Value) (attribute.Value, bool) {
	n := rv.Len()
	switch rv.Type().Elem().Kind() {
	case reflect.String:
		out := make([]string, n)
		for i := range n {
			out[i] = rv.Index(i).String()
		}
		return attribute.StringSliceValue(out), true
	case reflect.Bool:
		out := make([]bool, n)
		for i := range n {
			out[i] = rv.Index(i).Bool()
		}
		return attribute.BoolSliceValue(out), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		out := make([]int64, n)
		for i := range n {
			out[i] = rv.Index(i).Int()
		}
		return attribute.Int64SliceValue(out), true
	case reflect.Float32, reflect.Float64:
		out := make([]float64, n)
		for i := range n {
			out[i] = rv.Index(i).Float()
		}
		return attribute.Float64SliceValue(out), true
	}
	return attribute.Value{}, false
}
