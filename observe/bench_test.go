package observe_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/observe/tracestore"
)

// discard is an in-process exporter that drops everything, so the benchmark
// measures the caller's cost, not a store's.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

type benchIn struct {
	UserID string   `json:"user_id"`
	Task   string   `json:"task"`
	Steps  []string `json:"steps"`
	Energy int      `json:"energy"`
}

// ~200 bytes as JSON.
var benchInput = benchIn{
	UserID: "0193a0d2-7c1e-7cc3-9f2b-5a3c1e8d4f60",
	Task:   "write the quarterly report draft before lunch",
	Steps:  []string{"open the document", "write three bullet points", "take a short break"},
	Energy: 3,
}

func work(_ context.Context, in benchIn) (string, error) {
	return strings.Repeat(in.Task[:40]+" ", 5), nil // ~200 bytes out
}

func setupBench(b *testing.B, c observe.Capture, sink ...sdktrace.SpanExporter) *observe.Provider {
	b.Helper()
	if len(sink) == 0 {
		sink = []sdktrace.SpanExporter{discard{}}
	}
	p, err := observe.Setup(context.Background(), observe.Config{Exporters: sink, Capture: c})
	if err != nil {
		b.Fatalf("Setup: %v", err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
		if d := p.Dropped(); d > 0 {
			b.Logf("dropped %d spans", d)
		}
	})
	return p
}

func BenchmarkOp(b *testing.B) {
	ctx := observe.WithAttributes(context.Background(), map[string]any{"user_id": "u1", "session_id": "s1"})
	b.Run("untraced", func(b *testing.B) {
		for b.Loop() {
			_, _ = work(ctx, benchInput)
		}
	})
	// The floor: a bare SDK span with the same attributes through the same
	// queue, no Op, no capture, no metrics.
	b.Run("sdk_span", func(b *testing.B) {
		p := setupBench(b, observe.Capture{Disabled: true})
		tr := p.TracerProvider().Tracer("bench")
		attrs := []attribute.KeyValue{
			attribute.String(observe.AttrSpanKind, "TOOL"), attribute.String(observe.AttrGenAIOperation, "execute_tool"),
			attribute.String("user_id", "u1"), attribute.String("session_id", "s1"), attribute.String(observe.AttrUserID, "u1"),
			attribute.String(observe.AttrSessionID, "s1"), attribute.String(observe.AttrGenAIConversationID, "s1"),
			attribute.String(observe.AttrWandbAttributes, `{"session_id":"s1","user_id":"u1"}`),
		}
		b.ReportAllocs()
		for b.Loop() {
			ctx, span := tr.Start(ctx, "work")
			span.SetAttributes(attrs...)
			_, _ = work(ctx, benchInput)
			span.End()
		}
	})
	b.Run("capture_off", func(b *testing.B) {
		setupBench(b, observe.Capture{Disabled: true})
		f := observe.Op("work", work, observe.Kind("TOOL"), observe.GenAIOperation("execute_tool"))
		b.ReportAllocs()
		for b.Loop() {
			_, _ = f(ctx, benchInput)
		}
	})
	b.Run("capture_200B", func(b *testing.B) {
		setupBench(b, observe.Capture{})
		f := observe.Op("work", work, observe.Kind("TOOL"), observe.GenAIOperation("execute_tool"))
		b.ReportAllocs()
		for b.Loop() {
			_, _ = f(ctx, benchInput)
		}
	})
	// What a Steady command pays: the embedded trace store as the sink. Its
	// writes run on the exporter's goroutine, so on two cores the caller
	// also feels the store's share of the CPU.
	for _, capture := range []bool{false, true} {
		name := map[bool]string{false: "tracestore_capture_off", true: "tracestore_capture_200B"}[capture]
		b.Run(name, func(b *testing.B) {
			st, err := tracestore.Open(context.Background(), filepath.Join(b.TempDir(), "traces.db"), tracestore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			setupBench(b, observe.Capture{Disabled: !capture}, st)
			f := observe.Op("work", work, observe.Kind("TOOL"), observe.GenAIOperation("execute_tool"))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = f(ctx, benchInput)
			}
		})
	}
}
