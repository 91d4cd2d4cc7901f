package agent_test

import (
	"context"
	"os"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/steady-voice/steady/observe"
)

// TestMain installs a real tracer provider, so tool calls have the call and
// trace ids that link memory to the trace store.
func TestMain(m *testing.M) {
	tp := sdktrace.NewTracerProvider()
	observe.SetTracerProvider(tp)
	code := m.Run()
	_ = tp.Shutdown(context.Background())
	os.Exit(code)
}
