package main

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	nooptrace "go.opentelemetry.io/otel/trace/noop"

	steadyerr "github.com/steady-voice/steady"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/eval/evalstore"
	"github.com/steady-voice/steady/observe/tracestore"
)

var evalExamples = []eval.Example{
	{ID: "essay", Input: "I can't start my essay", ExpectedTool: "create_microsteps"},
	{ID: "loud", Input: "everything is too loud", ExpectedTool: "sensory_check"},
	{ID: "thanks", Input: "thanks, that helped", NoTool: true},
}

// evalModel answers with the expected tool when kind, and with a
// judgmental reply and the wrong tool otherwise, so two runs differ.
func evalModel(kind bool) eval.Model {
	return func(_ context.Context, ex eval.Example) (eval.Output, error) {
		if !kind {
			return eval.Output{Response: "Just do it.", ToolCalls: []eval.ToolCall{{Name: "suggest_break"}}, Latency: time.Millisecond}, nil
		}
		out := eval.Output{Response: "That's okay. One small step.", Outcome: eval.OutcomeTaskCompleted, Latency: time.Millisecond}
		if ex.ExpectedTool != "" {
			out.ToolCalls = []eval.ToolCall{{Name: ex.ExpectedTool}}
		}
		return out, nil
	}
}

// saveRuns runs the examples through each model in turn, a minute apart,
// and stores the runs in dir's traces.db, where the eval commands read them.
func saveRuns(t *testing.T, dir string, runs map[string]eval.Model, order ...string) map[string]*eval.Run {
	t.Helper()
	ctx := context.Background()
	st, err := tracestore.Open(ctx, filepath.Join(dir, "traces.db"), tracestore.Options{PurgeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	saved := map[string]*eval.Run{}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, id := range order {
		at := start.Add(time.Duration(i) * time.Minute)
		e := &eval.Evaluation{Dataset: evalExamples, Scorers: eval.Builtin()}
		run, err := e.Run(ctx, runs[id], eval.RunOptions{ID: id, Name: "model " + id,
			TracerProvider: nooptrace.NewTracerProvider(), Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		if err := evalstore.New(st).SaveRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		saved[id] = run
	}
	return saved
}

func TestEvalListShowsRunsNewestFirst(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir()}
	saveRuns(t, env["STEADY_DATA"], map[string]eval.Model{"a": evalModel(true), "b": evalModel(false)}, "a", "b")

	runs := jsonOut[[]eval.Run](t, env, "eval", "list")
	if len(runs) != 2 || runs[0].ID != "b" || runs[1].ID != "a" {
		t.Fatalf("listed %+v, want runs b then a", runs)
	}
	if runs[0].Rows != nil || runs[0].Summary.Rows != 3 {
		t.Errorf("listed run b with %d rows and summary of %d, want no rows and a summary of 3", len(runs[0].Rows), runs[0].Summary.Rows)
	}
	if one := jsonOut[[]eval.Run](t, env, "eval", "list", "--limit", "1"); len(one) != 1 {
		t.Errorf("--limit 1 listed %d runs, want 1", len(one))
	}
	table := mustSteady(t, env, "", "eval", "list")
	for _, want := range []string{"model a", "tool_usage=1.00", "effectiveness=1.00", "effectiveness=0.30", "memory_retrieval="} {
		if !strings.Contains(table, want) {
			t.Errorf("eval list lacks %q:\n%s", want, table)
		}
	}
	if strings.Index(table, "model b") > strings.Index(table, "model a") {
		t.Errorf("eval list shows run a before run b:\n%s", table)
	}
}

func TestEvalShowPrintsTheSummary(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir()}
	saved := saveRuns(t, env["STEADY_DATA"], map[string]eval.Model{"a": evalModel(true)}, "a")

	run := jsonOut[eval.Run](t, env, "eval", "show", "a")
	if run.ID != "a" || len(run.Rows) != 3 || !reflect.DeepEqual(run.Scorers, saved["a"].Scorers) {
		t.Errorf("show --json = run %q with %d rows and scorers %v, want run a with 3 rows and %v",
			run.ID, len(run.Rows), run.Scorers, saved["a"].Scorers)
	}
	table := mustSteady(t, env, "", "eval", "show", "a")
	for _, want := range []string{"run a (model a)", "3 rows, 0 model errors, no scorer errors", "tool_usage", "score.mean", "successful.true_fraction"} {
		if !strings.Contains(table, want) {
			t.Errorf("eval show lacks %q:\n%s", want, table)
		}
	}
}

func TestEvalCompareShowsDeltas(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir()}
	saved := saveRuns(t, env["STEADY_DATA"], map[string]eval.Model{"a": evalModel(true), "b": evalModel(false)}, "a", "b")

	got := jsonOut[eval.Comparison](t, env, "eval", "compare", "a", "b")
	if want := eval.Compare(saved["a"], saved["b"]); !reflect.DeepEqual(got, want) {
		t.Errorf("compare --json = %+v, want %+v", got, want)
	}
	table := mustSteady(t, env, "", "eval", "compare", "a", "b")
	// Run b calls the wrong tool everywhere: 0.5, 0.5 and 0 against 1s.
	for _, want := range []string{"A = a (model a)", "B = b (model b)", "delta", "-0.667", "B worse"} {
		if !strings.Contains(table, want) {
			t.Errorf("eval compare lacks %q:\n%s", want, table)
		}
	}
}

func TestEvalCommandsRejectBadInput(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir()}
	saveRuns(t, env["STEADY_DATA"], map[string]eval.Model{"a": evalModel(true)}, "a")
	tests := []struct {
		name string
		args []string
		code steadyerr.Code // "" when the arguments are refused before any lookup
		msg  string
	}{
		{"show unknown run", []string{"eval", "show", "nope"}, steadyerr.NotFound, `no run "nope"`},
		{"compare unknown A", []string{"eval", "compare", "nope", "a"}, steadyerr.NotFound, `no run "nope"`},
		{"compare unknown B", []string{"eval", "compare", "a", "nope"}, steadyerr.NotFound, `no run "nope"`},
		{"list limit too small", []string{"eval", "list", "--limit", "0"}, steadyerr.Invalid, "limit"},
		{"compare one run", []string{"eval", "compare", "a"}, "", "accepts 2 arg"},
		{"show no run", []string{"eval", "show"}, "", "accepts 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := steady(t, env, "", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("steady %s: error %v, want one containing %q", strings.Join(tt.args, " "), err, tt.msg)
			}
			if tt.code != "" && !steadyerr.Is(err, tt.code) {
				t.Errorf("error code %q, want %q", steadyerr.ErrorCode(err), tt.code)
			}
		})
	}
}

func TestEvalListWithNoRuns(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir()}
	if runs := jsonOut[[]eval.Run](t, env, "eval", "list"); len(runs) != 0 {
		t.Errorf("listed %d runs in a new data dir, want none", len(runs))
	}
	if out := mustSteady(t, env, "", "eval", "list"); !strings.HasPrefix(out, "id ") {
		t.Errorf("eval list printed %q, want just the header", out)
	}
}

func TestEvalFigures(t *testing.T) {
	tests := []struct {
		v             float64
		figure, delta string
	}{
		{3, "3", "+3"},
		{1.0 / 3, "0.333", "+0.333"},
		{-2.0 / 3, "-0.667", "-0.667"},
		{0.5, "0.5", "+0.5"},
		{-0.0001, "0", "+0"},
		{0, "0", "+0"},
		{1e300, "1" + strings.Repeat("0", 300), "+1" + strings.Repeat("0", 300)},
	}
	for _, tt := range tests {
		if got := figure(tt.v); got != tt.figure {
			t.Errorf("figure(%v) = %q, want %q", tt.v, got, tt.figure)
		}
		if got := delta(tt.v); got != tt.delta {
			t.Errorf("delta(%v) = %q, want %q", tt.v, got, tt.delta)
		}
	}
}
