package eval_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	steady "github.com/steady-voice/steady"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/observe"
)

func dataset(n int) []eval.Example {
	examples := make([]eval.Example, n)
	for i := range examples {
		examples[i] = eval.Example{ID: fmt.Sprintf("ex-%d", i), Input: fmt.Sprintf("message %d", i)}
	}
	return examples
}

// echoModel answers deterministically: "fail" inputs fail, "panic" inputs
// panic, others get a kind reply that calls the expected tool.
func echoModel(_ context.Context, ex eval.Example) (eval.Output, error) {
	switch ex.Input {
	case "fail":
		return eval.Output{}, errors.New("model unavailable")
	case "panic":
		panic("boom")
	}
	out := eval.Output{Response: "That's okay. " + ex.Input, Outcome: "re_engaged"}
	if ex.ExpectedTool != "" {
		out.ToolCalls = []eval.ToolCall{{Name: ex.ExpectedTool}}
	}
	return out, nil
}

// failOn is a scorer that fails on one input.
func failOn(input string) eval.Scorer {
	return eval.ScorerFunc("picky", func(_ context.Context, ex eval.Example, _ eval.Output) (eval.Result, error) {
		if ex.Input == input {
			return nil, errors.New("cannot judge")
		}
		return eval.Result{"score": 1.0, "ok": true}, nil
	})
}

func TestRunResults(t *testing.T) {
	e := &eval.Evaluation{
		Dataset: []eval.Example{
			{ID: "a", Input: "stuck on my essay", ExpectedTool: "create_microsteps"},
			{ID: "b", Input: "fail"},
			{ID: "c", Input: "odd one"},
			{ID: "d", Input: "panic"},
		},
		Scorers: []eval.Scorer{eval.ToolUsage{}, failOn("odd one")},
	}
	var progress [][2]int
	run, err := e.Run(context.Background(), echoModel, eval.RunOptions{
		Name:     "test",
		Progress: func(done, total int) { progress = append(progress, [2]int{done, total}) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Rows) != 4 || run.ID == "" || run.Name != "test" {
		t.Fatalf("run has %d rows, id %q, name %q; want 4 rows, an id, name test", len(run.Rows), run.ID, run.Name)
	}
	for i, id := range []string{"a", "b", "c", "d"} {
		if got := run.Rows[i].Example.ID; got != id {
			t.Errorf("row %d is example %q, want %q", i, got, id)
		}
	}
	checkFloat(t, "row a tool_usage", run.Rows[0].Scores["tool_usage"]["score"], 1.0)
	check(t, "row b error", run.Rows[1].Error, "model unavailable")
	check(t, "row b scores", len(run.Rows[1].Scores), 0)
	check(t, "row c picky error", run.Rows[2].ScoreErrors["picky"], "cannot judge")
	checkFloat(t, "row c tool_usage", run.Rows[2].Scores["tool_usage"]["score"], 0.5)
	check(t, "row d error", run.Rows[3].Error, "panic: boom")

	s := run.Summary
	check(t, "summary rows", s.Rows, 4)
	check(t, "model errors", s.ModelErrors, 2)
	check(t, "picky errors", s.ScoreErrors["picky"], 1)
	check(t, "all errors", s.Errors(), 3)
	checkFloat(t, "tool_usage mean", s.Scorers["tool_usage"]["score"].(eval.Result)["mean"], 0.75)
	check(t, "picky ok true_count", s.Scorers["picky"]["ok"].(eval.Result)["true_count"], 1)

	if len(progress) != 4 {
		t.Fatalf("progress called %d times, want 4", len(progress))
	}
	for i, p := range progress {
		if p != [2]int{i + 1, 4} {
			t.Errorf("progress call %d = %v, want [%d 4]", i, p, i+1)
		}
	}
}

func TestRunLatency(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { // each reading is one second later
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second)
		return clock
	}
	model := func(_ context.Context, ex eval.Example) (eval.Output, error) {
		if ex.ID == "ex-0" {
			return eval.Output{Latency: 7 * time.Second}, nil // the model knows better
		}
		return eval.Output{}, nil
	}
	e := &eval.Evaluation{Dataset: dataset(2), Concurrency: 1}
	run, err := e.Run(context.Background(), model, eval.RunOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	check(t, "row 0 latency", run.Rows[0].Output.Latency, 7*time.Second)
	check(t, "row 1 latency", run.Rows[1].Output.Latency, time.Second)
	check(t, "mean latency", run.Summary.MeanLatency, 4*time.Second)
}

// TestRunConcurrencyBound makes the first `limit` calls wait for each other,
// so the run must reach the bound, and records the most calls ever in
// flight, which must not pass it.
func TestRunConcurrencyBound(t *testing.T) {
	for _, tt := range []struct{ concurrency, want int }{{1, 1}, {3, 3}, {0, eval.DefaultConcurrency}} {
		t.Run(fmt.Sprint(tt.concurrency), func(t *testing.T) {
			var inFlight, most, arrived atomic.Int64
			gate := make(chan struct{})
			model := func(ctx context.Context, ex eval.Example) (eval.Output, error) {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				if a := arrived.Add(1); a == int64(tt.want) {
					close(gate)
				} else if a < int64(tt.want) {
					<-gate
				}
				return eval.Output{}, nil
			}
			e := &eval.Evaluation{Dataset: dataset(12), Concurrency: tt.concurrency}
			if _, err := e.Run(context.Background(), model, eval.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			if got := most.Load(); got != int64(tt.want) {
				t.Errorf("most calls in flight = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestRunCancel(t *testing.T) {
	t.Run("during the run", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var calls atomic.Int64
		model := func(context.Context, eval.Example) (eval.Output, error) {
			if calls.Add(1) == 2 {
				cancel()
			}
			return eval.Output{}, nil
		}
		e := &eval.Evaluation{Dataset: dataset(10), Concurrency: 1}
		run, err := e.Run(ctx, model, eval.RunOptions{})
		if !errors.Is(err, context.Canceled) || run != nil {
			t.Fatalf("Run = %v, %v; want nil, context.Canceled", run, err)
		}
		if got := calls.Load(); got != 2 {
			t.Errorf("model called %d times, want 2", got)
		}
	})
	t.Run("before the run", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var calls atomic.Int64
		model := func(context.Context, eval.Example) (eval.Output, error) {
			calls.Add(1)
			return eval.Output{}, nil
		}
		e := &eval.Evaluation{Dataset: dataset(3)}
		if _, err := e.Run(ctx, model, eval.RunOptions{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Run error = %v, want context.Canceled", err)
		}
		if got := calls.Load(); got != 0 {
			t.Errorf("model called %d times, want 0", got)
		}
	})
}

func TestRunInvalid(t *testing.T) {
	tests := []struct {
		name    string
		scorers []eval.Scorer
		model   eval.Model
	}{
		{"two scorers with one name", []eval.Scorer{eval.Brevity{}, eval.Brevity{}}, echoModel},
		{"no model", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &eval.Evaluation{Dataset: dataset(1), Scorers: tt.scorers}
			_, err := e.Run(context.Background(), tt.model, eval.RunOptions{})
			if code := steady.ErrorCode(err); code != steady.Invalid {
				t.Errorf("Run error = %v (code %q), want code %q", err, code, steady.Invalid)
			}
		})
	}
}

func TestRunSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	e := &eval.Evaluation{
		Dataset: []eval.Example{{ID: "ok", Input: "hello"}, {ID: "bad", Input: "fail"}},
		Scorers: []eval.Scorer{eval.Brevity{}, failOn("hello")},
	}
	run, err := e.Run(context.Background(), echoModel, eval.RunOptions{TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	roots := named(spans, "eval.run")
	if len(roots) != 1 {
		t.Fatalf("%d eval.run spans, want 1", len(roots))
	}
	rows := named(spans, "eval.row")
	if len(rows) != 2 {
		t.Fatalf("%d eval.row spans, want 2", len(rows))
	}
	for _, row := range rows {
		checkParent(t, row, roots[0])
		checkAttrJSON(t, row, observe.AttrInputValue)
	}
	okRow := spanByID(t, spans, run.Rows[0].SpanID)
	wantKids := map[string]int{"eval.model": 1, "eval.score.brevity": 1, "eval.score.picky": 1}
	if got := childNames(spans, okRow); !mapsEqual(got, wantKids) {
		t.Errorf("children of the ok row = %v, want %v", got, wantKids)
	}
	checkAttrJSON(t, okRow, observe.AttrOutputValue)
	for _, s := range childrenOf(spans, okRow) {
		if s.Name() == "eval.score.picky" && s.Status().Code != codes.Error {
			t.Errorf("failed scorer span status = %v, want Error", s.Status().Code)
		}
	}
	badRow := spanByID(t, spans, run.Rows[1].SpanID)
	if got, want := childNames(spans, badRow), map[string]int{"eval.model": 1}; !mapsEqual(got, want) {
		t.Errorf("children of the failed row = %v, want %v (no scorer runs)", got, want)
	}
	if badRow.Status().Code != codes.Error {
		t.Errorf("failed row status = %v, want Error", badRow.Status().Code)
	}
}

func named(spans []sdktrace.ReadOnlySpan, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func spanByID(t *testing.T, spans []sdktrace.ReadOnlySpan, id string) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, s := range spans {
		if s.SpanContext().SpanID().String() == id {
			return s
		}
	}
	t.Fatalf("no span with id %q", id)
	return nil
}

func childrenOf(spans []sdktrace.ReadOnlySpan, parent sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Parent().SpanID() == parent.SpanContext().SpanID() {
			out = append(out, s)
		}
	}
	return out
}

func childNames(spans []sdktrace.ReadOnlySpan, parent sdktrace.ReadOnlySpan) map[string]int {
	names := map[string]int{}
	for _, s := range childrenOf(spans, parent) {
		names[s.Name()]++
	}
	return names
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func checkParent(t *testing.T, child, parent sdktrace.ReadOnlySpan) {
	t.Helper()
	if child.Parent().SpanID() != parent.SpanContext().SpanID() || child.SpanContext().TraceID() != parent.SpanContext().TraceID() {
		t.Errorf("%s's parent is %v, want %s %v", child.Name(), child.Parent().SpanID(), parent.Name(), parent.SpanContext().SpanID())
	}
}

// checkAttrJSON checks that the span has key set to a JSON object.
func checkAttrJSON(t *testing.T, s sdktrace.ReadOnlySpan, key string) {
	t.Helper()
	for _, kv := range s.Attributes() {
		if kv.Key != attribute.Key(key) {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(kv.Value.AsString()), &v); err != nil || !strings.HasPrefix(kv.Value.AsString(), "{") {
			t.Errorf("%s %s = %q, want a JSON object (%v)", s.Name(), key, kv.Value.AsString(), err)
		}
		return
	}
	t.Errorf("%s has no %s attribute", s.Name(), key)
}
