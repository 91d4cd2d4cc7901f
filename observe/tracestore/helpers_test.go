package tracestore_test

import (
	"context"
	"github.com/steady-voice/steady/internal/steadytest"
	"path/filepath"
	"testing"
	"time"

	"github.com/steady-voice/steady/observe/tracestore"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// t0 is the time the tests' spans start around.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is the tests' settable clock.
type clock = steadytest.Clock

// openStore opens a store in a new directory, with the background purge
// off unless opt says otherwise, and closes it when the test ends.
func openStore(t testing.TB, opt tracestore.Options) (*tracestore.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "traces.db")
	if opt.PurgeInterval == 0 {
		opt.PurgeInterval = -1
	}
	s, err := tracestore.Open(context.Background(), path, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

// tracer returns a tracer whose spans are exported to s as each ends.
func tracer(t testing.TB, s *tracestore.Store) trace.Tracer {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(s))
	return tp.Tracer("tracestore_test")
}

// span makes and ends one span named op, from start for d, under ctx.
func span(ctx context.Context, tr trace.Tracer, op string, start time.Time, d time.Duration,
	opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	opts = append(opts, trace.WithTimestamp(start))
	ctx, sp := tr.Start(ctx, op, opts...)
	sp.End(trace.WithTimestamp(start.Add(d)))
	return ctx, sp
}

func mustCalls(t *testing.T, s *tracestore.Store, f tracestore.Filter) []tracestore.Call {
	t.Helper()
	calls, err := s.Calls(context.Background(), f)
	if err != nil {
		t.Fatalf("Calls(%+v): %v", f, err)
	}
	return calls
}

func ops(calls []tracestore.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Op
	}
	return out
}
