package observe_test

import (
	"context"
	"math"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/steady-voice/steady/observe"
)

type mood string

func TestAttributeValueKinds(t *testing.T) {
	_, spans := newProvider(t, observe.Config{})
	ch := make(chan int)
	tests := []struct {
		key  string
		in   any
		want attribute.Value
	}{
		{"string", "a", attribute.StringValue("a")},
		{"named string", mood("calm"), attribute.StringValue("calm")},
		{"bool", true, attribute.BoolValue(true)},
		{"int8", int8(-3), attribute.Int64Value(-3)},
		{"uint32", uint32(7), attribute.Int64Value(7)},
		{"huge uint", uint64(math.MaxUint64), attribute.StringValue("18446744073709551615")},
		{"float32", float32(0.25), attribute.Float64Value(0.25)},
		{"strings", []string{"a", "b"}, attribute.StringSliceValue([]string{"a", "b"})},
		{"named strings", []mood{"x"}, attribute.StringSliceValue([]string{"x"})},
		{"bools", [2]bool{true, false}, attribute.BoolSliceValue([]bool{true, false})},
		{"ints", []int32{1, 2}, attribute.Int64SliceValue([]int64{1, 2})},
		{"int64s", []int64{3}, attribute.Int64SliceValue([]int64{3})},
		{"floats", []float32{0.5}, attribute.Float64SliceValue([]float64{0.5})},
		{"float64s", []float64{1.5}, attribute.Float64SliceValue([]float64{1.5})},
		{"map", map[string]int{"b": 2, "a": 1}, attribute.StringValue(`{"a":1,"b":2}`)},
		{"mixed slice", []any{1, "x"}, attribute.StringValue(`[1,"x"]`)},
		{"chan", ch, attribute.StringValue(`"<chan int>"`)},
		{"nil", nil, attribute.StringValue(`null`)},
		{"user_id", 42, attribute.Int64Value(42)},
		{observe.AttrUserID, "42", attribute.StringValue("42")},
	}
	in := map[string]any{}
	for _, tt := range tests {
		in[tt.key] = tt.in
	}
	f := observe.Op0("f", func(context.Context) (int, error) { return 0, nil })
	_, _ = f(observe.WithAttributes(context.Background(), in))
	s := byName(t, spans(), "f")
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, ok := attrOf(s, tt.key)
			if !ok {
				t.Fatalf("no attribute %q", tt.key)
			}
			if got.Type() != tt.want.Type() || got.Emit() != tt.want.Emit() {
				t.Errorf("%s = %s %s, want %s %s", tt.key, got.Type(), got.Emit(), tt.want.Type(), tt.want.Emit())
			}
		})
	}
}

func TestNoAttributesOutsideWithAttributes(t *testing.T) {
	_, spans := newProvider(t, observe.Config{})
	f := observe.Op0("f", func(context.Context) (int, error) { return 0, nil })
	_, _ = f(context.Background())
	if v, ok := attrOf(byName(t, spans(), "f"), observe.AttrWandbAttributes); ok {
		t.Errorf("wandb.attributes = %s, want absent without context attributes", v.Emit())
	}
}

func TestSetTracerProvider(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	observe.SetTracerProvider(tp)
	observe.SetCapture(observe.Capture{Disabled: true})
	t.Cleanup(func() {
		observe.SetCapture(observe.Capture{})
		_ = tp.Shutdown(context.Background())
	})
	f := observe.Op("direct", func(_ context.Context, s string) (string, error) { return s, nil })
	_, _ = f(context.Background(), "x")
	ended := rec.Ended()
	if len(ended) != 1 || ended[0].Name() != "direct" {
		t.Fatalf("recorded %d spans, want the one call", len(ended))
	}
	for _, kv := range ended[0].Attributes() {
		if kv.Key == observe.AttrInputValue {
			t.Errorf("input recorded with capture off")
		}
	}
}
