package memory_test

import (
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/observe"
)

// TestOperationsAreTraced: every memory operation is a call in the trace,
// labelled with its user, with the embedding as a child, and no vector in
// what is captured.
func TestOperationsAreTraced(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	observe.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { observe.SetTracerProvider(noop.NewTracerProvider()) })

	f := newFixture(t)
	iv := f.record(t, memory.Intervention{Context: "the fridge hum is driving me mad", Outcome: memory.ReEngaged})
	if _, err := f.svc.Search(f.ctx, "alice", memory.Query{Text: "buzzing noise"}); err != nil {
		t.Fatal(err)
	}
	f.svc.PromptContext(f.ctx, "alice")

	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byName[s.Name()] = s
	}
	for _, name := range []string{"memory.record", "memory.search", "memory.prompt_context", "embed"} {
		if _, ok := byName[name]; !ok {
			t.Fatalf("no %q span among %d", name, len(rec.Ended()))
		}
	}
	attrs := func(s sdktrace.ReadOnlySpan) map[string]string {
		m := map[string]string{}
		for _, kv := range s.Attributes() {
			m[string(kv.Key)] = kv.Value.Emit()
		}
		return m
	}
	record := attrs(byName["memory.record"])
	if record[observe.AttrUserID] != "alice" || !strings.Contains(record[observe.AttrOutputValue], iv.ID) {
		t.Errorf("memory.record attributes %v: want user.id alice and the new id in the output", record)
	}
	if strings.Contains(record[observe.AttrInputValue], "embedding") {
		t.Errorf("the captured input holds the vector: %s", record[observe.AttrInputValue])
	}
	if got := attrs(byName["memory.search"])[observe.AttrSpanKind]; got != "RETRIEVER" {
		t.Errorf("memory.search kind %q, want RETRIEVER", got)
	}
	emb := byName["embed"]
	if emb.Parent().SpanID() != byName["memory.search"].SpanContext().SpanID() &&
		emb.Parent().SpanID() != byName["memory.record"].SpanContext().SpanID() {
		t.Errorf("the embed span is not a child of a memory operation")
	}
}

func TestTracedEmbedder(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	observe.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { observe.SetTracerProvider(noop.NewTracerProvider()) })

	f := newFixture(t)
	e := memory.TracedEmbedder(f.svc.Embedder())
	vecs, err := e.Embed(f.ctx, []string{"too loud in here", "where was I"})
	if err != nil || len(vecs) != 2 || e.Name() != f.svc.Embedder().Name() {
		t.Fatalf("Embed = %d vectors, %v", len(vecs), err)
	}
	spans := rec.Ended()
	if len(spans) != 1 || spans[0].Name() != "embed" {
		t.Fatalf("spans %v, want one embed call", spans)
	}
	for _, kv := range spans[0].Attributes() {
		if kv.Key == observe.AttrInputValue && !strings.Contains(kv.Value.Emit(), "where was I") {
			t.Errorf("input %s: want the texts", kv.Value.Emit())
		}
		if kv.Key == observe.AttrOutputValue && strings.Contains(kv.Value.Emit(), "0.") {
			t.Errorf("output %s holds vector values", kv.Value.Emit())
		}
	}
}
