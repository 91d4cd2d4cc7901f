package observe_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/steady-voice/steady/observe"
)

type stepIn struct {
	Task   string `json:"task"`
	APIKey string `json:"api_key"`
}

func TestOpRecordsCall(t *testing.T) {
	_, spans := newProvider(t, observe.Config{})
	var callID, traceID string
	tool := observe.Op("micro_steps", func(ctx context.Context, in stepIn) ([]string, error) {
		callID, traceID = observe.CallID(ctx), observe.TraceID(ctx)
		return []string{"open laptop", in.Task}, nil
	}, observe.Kind("TOOL"), observe.GenAIOperation("execute_tool"), observe.ToolName("micro_steps"))

	out, err := tool(context.Background(), stepIn{Task: "write", APIKey: "k-123"})
	if err != nil || len(out) != 2 {
		t.Fatalf("tool = %v, %v; want 2 steps, nil", out, err)
	}
	s := byName(t, spans(), "micro_steps")
	want := map[string]string{
		observe.AttrInputValue:     `{"task":"write","api_key":"[REDACTED]"}`,
		observe.AttrInputMimeType:  "application/json",
		observe.AttrOutputValue:    `["open laptop","write"]`,
		observe.AttrOutputMimeType: "application/json",
		observe.AttrSpanKind:       "TOOL",
		observe.AttrGenAIOperation: "execute_tool",
		observe.AttrGenAIToolName:  "micro_steps",
	}
	for k, v := range want {
		if got := mustAttr(t, s, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if got := s.SpanContext.SpanID().String(); got != callID {
		t.Errorf("span id = %s, want CallID %s", got, callID)
	}
	if got := s.SpanContext.TraceID().String(); got != traceID {
		t.Errorf("trace id = %s, want TraceID %s", got, traceID)
	}
	if s.Status.Code != codes.Unset {
		t.Errorf("status = %v, want Unset", s.Status.Code)
	}
}

func TestCallIDOutsideOp(t *testing.T) {
	if got := observe.CallID(context.Background()); got != "" {
		t.Errorf("CallID = %q, want empty", got)
	}
	if got := observe.TraceID(context.Background()); got != "" {
		t.Errorf("TraceID = %q, want empty", got)
	}
}

func TestOpError(t *testing.T) {
	_, spans := newProvider(t, observe.Config{})
	failing := observe.Op0("fail", func(context.Context) (int, error) { return 0, errors.New("no network") })
	if _, err := failing(context.Background()); err == nil || err.Error() != "no network" {
		t.Fatalf("err = %v, want the function's error unchanged", err)
	}
	s := byName(t, spans(), "fail")
	if s.Status.Code != codes.Error || s.Status.Description != "no network" {
		t.Errorf("status = %v %q, want Error %q", s.Status.Code, s.Status.Description, "no network")
	}
	if len(s.Events) != 1 || s.Events[0].Name != "exception" {
		t.Fatalf("events = %v, want one exception event", s.Events)
	}
	if _, ok := attrOf(s, observe.AttrOutputValue); ok {
		t.Errorf("failed call has an output attribute, want none")
	}
	if _, ok := attrOf(s, observe.AttrInputValue); ok {
		t.Errorf("Op0 call has an input attribute, want none")
	}
}

func TestOpPanicRecordedAndReraised(t *testing.T) {
	_, spans := newProvider(t, observe.Config{})
	boom := observe.Op0("boom", func(context.Context) (int, error) { panic("kaput") })
	func() {
		defer func() {
			if r := recover(); r != "kaput" {
				t.Errorf("recovered %v, want kaput", r)
			}
		}()
		_, _ = boom(context.Background())
	}()
	s := byName(t, spans(), "boom")
	if s.Status.Code != codes.Error || !strings.Contains(s.Status.Description, "kaput") {
		t.Errorf("status = %v %q, want Error mentioning the panic", s.Status.Code, s.Status.Description)
	}
}

func TestNestedOpsFormTree(t *testing.T) {
	_, spans := newProvider(t, observe.Config{})
	leaf := observe.Op("leaf", func(_ context.Context, n int) (int, error) { return n * 2, nil })
	mid := observe.Op("mid", func(ctx context.Context, n int) (int, error) { return leaf(ctx, n+1) })
	root := observe.Op("root", func(ctx context.Context, n int) (int, error) {
		a, _ := mid(ctx, n)
		b, _ := leaf(ctx, n)
		return a + b, nil
	})
	if got, _ := root(context.Background(), 1); got != 6 {
		t.Fatalf("root(1) = %d, want 6", got)
	}
	all := spans()
	if len(all) != 4 {
		t.Fatalf("got %d spans, want 4", len(all))
	}
	parentName := map[string]string{} // span id → name
	for _, s := range all {
		parentName[s.SpanContext.SpanID().String()] = s.Name
	}
	counts := map[string]int{}
	for _, s := range all {
		if s.SpanContext.TraceID() != all[0].SpanContext.TraceID() {
			t.Errorf("span %s in trace %s, want all in one trace", s.Name, s.SpanContext.TraceID())
		}
		counts[s.Name+"<"+parentName[s.Parent.SpanID().String()]]++
	}
	want := map[string]int{"root<": 1, "mid<root": 1, "leaf<mid": 1, "leaf<root": 1}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("child<parent %q: got %d, want %d (all: %v)", k, counts[k], n, counts)
		}
	}
}

func TestCaptureOff(t *testing.T) {
	_, spans := newProvider(t, observe.Config{Capture: observe.Capture{Disabled: true}})
	echo := observe.Op("echo", func(_ context.Context, s string) (string, error) { return s, nil })
	_, _ = echo(context.Background(), "private")
	s := byName(t, spans(), "echo")
	for _, k := range []string{observe.AttrInputValue, observe.AttrInputMimeType, observe.AttrOutputValue, observe.AttrOutputMimeType} {
		if v, ok := attrOf(s, k); ok {
			t.Errorf("%s = %q, want absent with capture off", k, v.Emit())
		}
	}
}

func TestOpTruncatedFlag(t *testing.T) {
	_, spans := newProvider(t, observe.Config{Capture: observe.Capture{MaxBytes: 32}})
	echo := observe.Op("echo", func(_ context.Context, s string) (string, error) { return s, nil })
	_, _ = echo(context.Background(), strings.Repeat("x", 100))
	s := byName(t, spans(), "echo")
	if got := mustAttr(t, s, observe.AttrTruncated); got != "true" {
		t.Errorf("%s = %s, want true", observe.AttrTruncated, got)
	}
}

func TestOpUnserialisableInput(t *testing.T) {
	_, spans := newProvider(t, observe.Config{})
	f := observe.Op("f", func(_ context.Context, in map[string]any) (chan int, error) { return nil, nil })
	_, _ = f(context.Background(), map[string]any{"cb": func() {}})
	s := byName(t, spans(), "f")
	if got, want := mustAttr(t, s, observe.AttrInputValue), `{"cb":"<func()>"}`; got != want {
		t.Errorf("input = %s, want %s", got, want)
	}
}

func TestContextAttributes(t *testing.T) {
	_, spans := newProvider(t, observe.Config{})
	inner := observe.Op0("inner", func(context.Context) (int, error) { return 1, nil })
	outer := observe.Op0("outer", func(ctx context.Context) (int, error) {
		ctx = observe.WithAttributes(ctx, map[string]any{"mood": "calm", "step": 2})
		return inner(ctx)
	})
	ctx := observe.WithAttributes(context.Background(), map[string]any{
		"user_id": "u1", "session_id": "s1", "mood": "tense", "ratio": 0.5,
		"flags": []bool{true}, "ids": []int{1, 2}, "obj": struct{ A int }{3}, "token": "t0p",
	})
	_, _ = outer(ctx)
	all := spans()
	tests := []struct {
		span, key, want string
	}{
		{"outer", "mood", "tense"},
		{"inner", "mood", "calm"},
		{"inner", "step", "2"},
		{"inner", "ratio", "0.5"},
		{"inner", "flags", "[true]"},
		{"inner", "ids", "[1,2]"},
		{"inner", "obj", `{"A":3}`},
		{"inner", "token", "[REDACTED]"},
		{"inner", observe.AttrUserID, "u1"},
		{"inner", observe.AttrSessionID, "s1"},
		{"inner", observe.AttrGenAIConversationID, "s1"},
		{"outer", "user_id", "u1"},
	}
	for _, tt := range tests {
		t.Run(tt.span+"/"+tt.key, func(t *testing.T) {
			if got := mustAttr(t, byName(t, all, tt.span), tt.key); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
	var wandb map[string]any
	if err := json.Unmarshal([]byte(mustAttr(t, byName(t, all, "inner"), observe.AttrWandbAttributes)), &wandb); err != nil {
		t.Fatalf("wandb.attributes is not JSON: %v", err)
	}
	if wandb["mood"] != "calm" || wandb["user_id"] != "u1" || wandb["token"] != "[REDACTED]" {
		t.Errorf("wandb.attributes = %v, want mood calm, user_id u1, token redacted", wandb)
	}
}

func TestOpMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	newProvider(t, observe.Config{MetricReaders: []sdkmetric.Reader{reader}})
	n := 0
	f := observe.Op0("flaky", func(context.Context) (int, error) {
		n++
		if n%2 == 0 {
			return 0, errors.New("even")
		}
		return n, nil
	})
	for range 5 {
		_, _ = f(context.Background())
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					if v, _ := p.Attributes.Value(observe.AttrOpName); v.AsString() == "flaky" {
						got[m.Name] += p.Value
					}
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[m.Name] += int64(p.Count)
				}
			}
		}
	}
	want := map[string]int64{observe.MetricCalls: 5, observe.MetricErrors: 2, observe.MetricDuration: 5}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d", k, got[k], v)
		}
	}
}

func TestConcurrentOps(t *testing.T) {
	_, spans := newProvider(t, observe.Config{})
	leaf := observe.Op("leaf", func(_ context.Context, n int) (int, error) { return n, nil })
	root := observe.Op("root", func(ctx context.Context, n int) (int, error) {
		ctx = observe.WithAttributes(ctx, map[string]any{"n": n})
		return leaf(ctx, n)
	})
	const goroutines, calls = 8, 25
	done := make(chan struct{})
	for g := range goroutines {
		go func() {
			defer func() { done <- struct{}{} }()
			ctx := observe.WithAttributes(context.Background(), map[string]any{"user_id": g})
			for i := range calls {
				_, _ = root(ctx, i)
			}
		}()
	}
	for range goroutines {
		<-done
	}
	if got, want := len(spans()), 2*goroutines*calls; got != want {
		t.Errorf("got %d spans, want %d", got, want)
	}
}
