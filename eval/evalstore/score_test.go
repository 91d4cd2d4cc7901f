package evalstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/eval/evalstore"
	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/observe/tracestore"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	nooptrace "go.opentelemetry.io/otel/trace/noop"
)

// tracedStore opens a traces.db that every observe.Op of the test is
// exported to as it ends, with content capture as given.
func tracedStore(t *testing.T, capture observe.Capture) *tracestore.Store {
	t.Helper()
	st, err := tracestore.Open(context.Background(), filepath.Join(t.TempDir(), "traces.db"),
		tracestore.Options{PurgeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	observe.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(st)))
	observe.SetCapture(capture)
	t.Cleanup(func() {
		observe.SetTracerProvider(nooptrace.NewTracerProvider())
		observe.SetCapture(observe.Capture{})
		_ = st.Close()
	})
	return st
}

// record runs an op named name that takes in and returns out, and returns
// its call id.
func record(t *testing.T, name string, in, out any, opts ...observe.OpOption) string {
	t.Helper()
	var id string
	op := observe.Op(name, func(ctx context.Context, _ any) (any, error) {
		id = observe.CallID(ctx)
		return out, nil
	}, opts...)
	if _, err := op(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return id
}

// toolCall records a support tool call the way the agent traces one.
func toolCall(t *testing.T, outcome string) string {
	t.Helper()
	ctx := observe.WithAttributes(context.Background(), map[string]any{"user_id": "ana"})
	var id string
	op := observe.Op("tool.sensory_check", func(ctx context.Context, _ map[string]string) (map[string]string, error) {
		id = observe.CallID(ctx)
		return map[string]string{"reply": "Let's check in with your senses. What do you hear?", "outcome": outcome}, nil
	}, observe.Kind("TOOL"), observe.GenAIOperation("execute_tool"), observe.ToolName("sensory_check"))
	if _, err := op(ctx, map[string]string{"utterance": "everything is too loud"}); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestScoreCallStoresScoresAsFeedback(t *testing.T) {
	ctx := context.Background()
	st := tracedStore(t, observe.Capture{})
	id := toolCall(t, "re_engaged")

	res, err := evalstore.ScoreCall(ctx, st, id, eval.InterventionEffectiveness{}, evalstore.DefaultConverter)
	if err != nil {
		t.Fatal(err)
	}
	want := eval.Result{"score": 0.7, "successful": true, "category": "emotional"}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("result = %v, want %v", res, want)
	}
	if _, err := evalstore.ScoreCall(ctx, st, id, eval.ToolUsage{}, evalstore.DefaultConverter); err != nil {
		t.Fatal(err)
	}
	call, err := st.Call(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(call.Feedback) != 2 {
		t.Fatalf("got %d feedback entries, want 2 (one per scorer)", len(call.Feedback))
	}
	first := call.Feedback[0]
	if wantScores := map[string]float64{"effectiveness.score": 0.7, "effectiveness.successful": 1}; !reflect.DeepEqual(first.Scores, wantScores) {
		t.Errorf("stored scores %v, want %v", first.Scores, wantScores)
	}
	if first.Note != "scored by effectiveness" {
		t.Errorf("note = %q, want %q", first.Note, "scored by effectiveness")
	}
	if got := call.Feedback[1].Scores; got["tool_usage.score"] != 0.7 || got["tool_usage.used_tool"] != 1 {
		t.Errorf("tool_usage scores %v, want score 0.7 and used_tool 1", got)
	}
}

func TestScoreCallErrors(t *testing.T) {
	ctx := context.Background()
	st := tracedStore(t, observe.Capture{})
	id := toolCall(t, "")
	failing := eval.ScorerFunc("failing", func(context.Context, eval.Example, eval.Output) (eval.Result, error) {
		return nil, errors.New("judge unavailable")
	})
	wordy := eval.ScorerFunc("wordy", func(context.Context, eval.Example, eval.Output) (eval.Result, error) {
		return eval.Result{"verdict": "fine"}, nil
	})
	notFound := func(tracestore.Call) (eval.Example, eval.Output, error) {
		return eval.Example{}, eval.Output{}, steady.Errorf(steady.NotFound, "test", "no session")
	}
	plain := func(tracestore.Call) (eval.Example, eval.Output, error) {
		return eval.Example{}, eval.Output{}, errors.New("cannot read")
	}
	tests := []struct {
		name   string
		callID string
		s      eval.Scorer
		conv   evalstore.CallConverter
		code   steady.Code
	}{
		{"unknown call", "0123456789abcdef", eval.Brevity{}, evalstore.DefaultConverter, steady.NotFound},
		{"no scorer", id, nil, evalstore.DefaultConverter, steady.Invalid},
		{"no converter", id, eval.Brevity{}, nil, steady.Invalid},
		{"converter error without code", id, eval.Brevity{}, plain, steady.Invalid},
		{"converter error keeps its code", id, eval.Brevity{}, notFound, steady.NotFound},
		{"scorer error", id, failing, evalstore.DefaultConverter, steady.Internal},
		{"nothing numeric to store", id, wordy, evalstore.DefaultConverter, steady.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := evalstore.ScoreCall(ctx, st, tt.callID, tt.s, tt.conv)
			if got := steady.ErrorCode(err); got != tt.code || res != nil {
				t.Errorf("got %v (code %q), result %v; want code %q and no result", err, got, res, tt.code)
			}
		})
	}
	call, err := st.Call(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(call.Feedback) != 0 {
		t.Errorf("failed scorings stored feedback: %+v", call.Feedback)
	}
}

func TestScoreCallWithoutCapturedContent(t *testing.T) {
	ctx := context.Background()
	st := tracedStore(t, observe.Capture{Disabled: true})
	id := toolCall(t, "task_completed")
	_, err := evalstore.ScoreCall(ctx, st, id, eval.Brevity{}, evalstore.DefaultConverter)
	if !steady.Is(err, steady.Invalid) || !strings.Contains(err.Error(), "content capture") {
		t.Fatalf("got %v, want an Invalid error about content capture", err)
	}
}

func TestScoreCallOnAnOrdinaryOp(t *testing.T) {
	ctx := context.Background()
	st := tracedStore(t, observe.Capture{})
	id := record(t, "agent.reply", "I can't start my essay", "One tiny step: open the file.")
	if _, err := evalstore.ScoreCall(ctx, st, id, eval.Brevity{}, evalstore.DefaultConverter); err != nil {
		t.Fatal(err)
	}
	call, err := st.Call(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := call.Feedback[0].Scores; got["brevity.score"] != 1 || got["brevity.words"] != 6 {
		t.Errorf("stored %v, want brevity.score 1 and brevity.words 6", got)
	}
}

func TestDefaultConverter(t *testing.T) {
	tool := map[string]any{observe.AttrGenAIToolName: "suggest_break", observe.AttrGenAIOperation: "execute_tool"}
	tests := []struct {
		name string
		call tracestore.Call
		ex   eval.Example
		out  eval.Output
	}{
		{"string input and output",
			tracestore.Call{CallID: "c1", Inputs: `"I'm stuck"`, Output: `"One step."`, Latency: time.Second},
			eval.Example{ID: "c1", Input: "I'm stuck"}, eval.Output{Response: "One step.", Latency: time.Second}},
		{"fields in order of preference",
			tracestore.Call{CallID: "c2", Inputs: `{"context":"late","text":"too loud"}`, Output: `{"text":"t","reply":"Breathe."}`},
			eval.Example{ID: "c2", Input: "too loud"}, eval.Output{Response: "Breathe."}},
		{"context as the input",
			tracestore.Call{CallID: "c3", Inputs: `{"context":"overwhelmed","k":3}`, Output: `{"result":"done"}`},
			eval.Example{ID: "c3", Input: "overwhelmed"}, eval.Output{Response: "done"}},
		{"no known field",
			tracestore.Call{CallID: "c4", Inputs: `{"k":3}`, Output: `{"steps":["a","b"]}`},
			eval.Example{ID: "c4", Input: `{"k":3}`}, eval.Output{}},
		{"a non-string field is no text",
			tracestore.Call{CallID: "c5", Inputs: `{"input":42}`, Output: `{"reply":["a"]}`},
			eval.Example{ID: "c5", Input: `{"input":42}`}, eval.Output{}},
		{"truncated content is kept as text",
			tracestore.Call{CallID: "c6", Inputs: `{"input":"very lo…[truncated]`, Output: `"ok"`},
			eval.Example{ID: "c6", Input: `{"input":"very lo…[truncated]`}, eval.Output{Response: "ok"}},
		{"output only",
			tracestore.Call{CallID: "c7", Output: `{"response":"Hi."}`},
			eval.Example{ID: "c7"}, eval.Output{Response: "Hi."}},
		{"tool call and outcome field",
			tracestore.Call{CallID: "c8", Inputs: `{}`, Output: `{"outcome":"re_engaged"}`, Attributes: tool},
			eval.Example{ID: "c8", Input: "{}"},
			eval.Output{ToolCalls: []eval.ToolCall{{Name: "suggest_break"}}, Outcome: "re_engaged"}},
		{"outcome attribute wins",
			tracestore.Call{CallID: "c9", Inputs: `"x"`, Output: `{"outcome":"abandoned"}`,
				Attributes: map[string]any{"outcome": "task_completed"}},
			eval.Example{ID: "c9", Input: "x"}, eval.Output{Outcome: "task_completed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, out, err := evalstore.DefaultConverter(tt.call)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ex, tt.ex) {
				t.Errorf("example = %+v, want %+v", ex, tt.ex)
			}
			if !reflect.DeepEqual(out, tt.out) {
				t.Errorf("output = %+v, want %+v", out, tt.out)
			}
		})
	}
}

func TestDefaultConverterWithoutContent(t *testing.T) {
	_, _, err := evalstore.DefaultConverter(tracestore.Call{CallID: "c1", Attributes: map[string]any{"outcome": "re_engaged"}})
	if !steady.Is(err, steady.Invalid) {
		t.Errorf("got %v, want Invalid", err)
	}
}
