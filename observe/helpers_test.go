package observe_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/steady-voice/steady/observe"
)

// newProvider sets observe up with an in-memory exporter and returns a
// function giving the spans exported so far (after a flush).
func newProvider(t *testing.T, cfg observe.Config) (*observe.Provider, func() tracetest.SpanStubs) {
	t.Helper()
	mem := tracetest.NewInMemoryExporter()
	cfg.Exporters = append(cfg.Exporters, mem)
	p, err := observe.Setup(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return p, func() tracetest.SpanStubs {
		t.Helper()
		if err := p.ForceFlush(context.Background()); err != nil {
			t.Fatalf("ForceFlush: %v", err)
		}
		return mem.GetSpans()
	}
}

func attrOf(s tracetest.SpanStub, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func mustAttr(t *testing.T, s tracetest.SpanStub, key string) string {
	t.Helper()
	v, ok := attrOf(s, key)
	if !ok {
		t.Fatalf("span %q: no attribute %q", s.Name, key)
	}
	return v.Emit()
}

func byName(t *testing.T, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	for _, s := range spans {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no span named %q in %d spans", name, len(spans))
	return tracetest.SpanStub{}
}

var _ sdktrace.SpanExporter = (*tracetest.InMemoryExporter)(nil)
