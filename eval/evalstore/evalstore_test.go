package evalstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/eval/evalstore"
	"github.com/steady-voice/steady/observe/tracestore"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// t0 is when the tests' runs start.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var examples = []eval.Example{
	{ID: "essay", Input: "I can't start my essay", ExpectedTool: "create_microsteps", Task: "essay"},
	{ID: "loud", Input: "everything is too loud", ExpectedTool: "sensory_check", Context: "overwhelmed"},
	{ID: "stuck", Input: "I'm stuck again", Metadata: map[string]any{"tries": 3}},
	{ID: "fail", Input: "the model fails on this one"},
}

// model answers every example the same way for a variant, and fails on
// "fail", so stored runs carry a model error too.
func model(variant string) eval.Model {
	return func(_ context.Context, ex eval.Example) (eval.Output, error) {
		if ex.ID == "fail" {
			return eval.Output{}, errors.New("model unavailable")
		}
		out := eval.Output{Response: "That's okay. Let's find one small step.", Latency: 120 * time.Millisecond,
			ToolCalls: []eval.ToolCall{{Name: "create_microsteps", Args: map[string]any{"task": ex.Task}}},
			Outcome:   eval.OutcomeTaskCompleted, Memories: []eval.Memory{{ID: "m1", Text: "a walk helped", Similarity: 0.8}}}
		if variant == "b" {
			out.Response = "Just do it. Stop procrastinating, you always do this."
			out.ToolCalls = []eval.ToolCall{{Name: "sensory_check"}}
			out.Outcome = "abandoned"
		}
		return out, nil
	}
}

// picky fails to score "stuck", so stored runs carry a scorer error too.
var picky = eval.ScorerFunc("picky", func(_ context.Context, ex eval.Example, _ eval.Output) (eval.Result, error) {
	if ex.ID == "stuck" {
		return nil, errors.New("cannot judge")
	}
	return eval.Result{eval.ScoreKey: true, "parts": eval.Result{"n": 2}}, nil
})

// ticker is a clock for RunOptions.Now that moves a millisecond a read.
type ticker struct {
	mu  sync.Mutex
	now time.Time
}

func (c *ticker) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

// evaluate runs variant's model over the examples with the built-in
// scorers and picky, starting at start; tp, when set, receives the spans.
func evaluate(t *testing.T, id, variant string, start time.Time, tp trace.TracerProvider) *eval.Run {
	t.Helper()
	e := &eval.Evaluation{Dataset: examples, Scorers: append(eval.Builtin(), picky)}
	clk := &ticker{now: start}
	run, err := e.Run(context.Background(), model(variant), eval.RunOptions{ID: id, Name: "variant " + variant,
		Now: clk.Now, TracerProvider: tp})
	if err != nil {
		t.Fatalf("Run(%s): %v", id, err)
	}
	return run
}

// open opens a trace store at path with the background purge off.
func open(t *testing.T, path string, opt tracestore.Options) *tracestore.Store {
	t.Helper()
	opt.PurgeInterval = -1
	traces, err := tracestore.Open(context.Background(), path, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = traces.Close() })
	return traces
}

func newStore(t *testing.T) *evalstore.Store {
	t.Helper()
	return evalstore.New(open(t, filepath.Join(t.TempDir(), "traces.db"), tracestore.Options{}))
}

func mustSave(t *testing.T, s *evalstore.Store, runs ...*eval.Run) {
	t.Helper()
	for _, run := range runs {
		if err := s.SaveRun(context.Background(), run); err != nil {
			t.Fatalf("SaveRun(%s): %v", run.ID, err)
		}
	}
}

func mustLoad(t *testing.T, s *evalstore.Store, id string) *eval.Run {
	t.Helper()
	run, err := s.LoadRun(context.Background(), id)
	if err != nil {
		t.Fatalf("LoadRun(%s): %v", id, err)
	}
	return run
}

// sameRun fails unless got is want. A loaded run holds JSON's types (a
// count becomes a float64), so runs are compared by their encoding, which
// has the store's precision (nanoseconds), and their times as instants.
func sameRun(t *testing.T, got, want *eval.Run) {
	t.Helper()
	if !got.Started.Equal(want.Started) || !got.Finished.Equal(want.Finished) {
		t.Errorf("run %s: got times %v–%v, want %v–%v", want.ID, got.Started, got.Finished, want.Started, want.Finished)
	}
	if g, w := encode(t, got), encode(t, want); g != w {
		t.Errorf("run %s: got\n%s\nwant\n%s", want.ID, g, w)
	}
}

func encode(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return string(b)
}

func TestSaveLoadAndCompare(t *testing.T) {
	s := newStore(t)
	a := evaluate(t, "a", "a", t0, nil)
	b := evaluate(t, "b", "b", t0.Add(time.Hour), nil)
	mustSave(t, s, a, b)
	la, lb := mustLoad(t, s, "a"), mustLoad(t, s, "b")
	sameRun(t, la, a)
	sameRun(t, lb, b)
	if got, want := la.Rows[3].Error, a.Rows[3].Error; got != want || want == "" {
		t.Errorf("got model error %q, want %q", got, want)
	}
	if got, want := la.Summary.Errors(), a.Summary.Errors(); got != want {
		t.Errorf("got %d errors, want %d", got, want)
	}
	got, want := eval.Compare(la, lb), eval.Compare(a, b)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Compare(loaded) = %+v, want %+v", got, want)
	}
	if len(want.Scorers) != len(a.Scorers) {
		t.Errorf("compared %d scorers, want %d", len(want.Scorers), len(a.Scorers))
	}
	decided := 0 // the variants must differ, or the comparison shows nothing
	for _, sc := range want.Scorers {
		decided += sc.Wins + sc.Losses
	}
	if decided == 0 {
		t.Errorf("Compare(a, b) found no wins or losses, want some")
	}
}

func TestListRunsNewestFirstWithoutRows(t *testing.T) {
	s := newStore(t)
	runs := []*eval.Run{
		evaluate(t, "old", "a", t0, nil),
		evaluate(t, "new", "b", t0.Add(2*time.Hour), nil),
		evaluate(t, "mid", "a", t0.Add(time.Hour), nil),
	}
	mustSave(t, s, runs...)
	tests := []struct {
		limit int
		want  []*eval.Run
	}{
		{1, []*eval.Run{runs[1]}},
		{10, []*eval.Run{runs[1], runs[2], runs[0]}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			listed, err := s.ListRuns(context.Background(), tt.limit)
			if err != nil {
				t.Fatalf("ListRuns(%d): %v", tt.limit, err)
			}
			if len(listed) != len(tt.want) {
				t.Fatalf("ListRuns(%d): got %d runs, want %d", tt.limit, len(listed), len(tt.want))
			}
			for i, got := range listed {
				if got.Rows != nil {
					t.Errorf("listed run %s has %d rows, want none", got.ID, len(got.Rows))
				}
				head := *tt.want[i]
				head.Rows = nil
				sameRun(t, got, &head)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	s := newStore(t)
	a := evaluate(t, "a", "a", t0, nil)
	mustSave(t, s, a)
	nanScorer := eval.ScorerFunc("nan", func(context.Context, eval.Example, eval.Output) (eval.Result, error) {
		return eval.Result{eval.ScoreKey: math.NaN()}, nil
	})
	nan, err := (&eval.Evaluation{Dataset: examples[:1], Scorers: []eval.Scorer{nanScorer}}).
		Run(context.Background(), model("a"), eval.RunOptions{ID: "nan"})
	if err != nil {
		t.Fatalf("Run(nan): %v", err)
	}
	noID := *a
	noID.ID = ""
	ctx := context.Background()
	tests := []struct {
		name string
		err  error
		want steady.Code
	}{
		{"save duplicate id", s.SaveRun(ctx, a), steady.Conflict},
		{"save nil run", s.SaveRun(ctx, nil), steady.Invalid},
		{"save empty id", s.SaveRun(ctx, &noID), steady.Invalid},
		{"save NaN score", s.SaveRun(ctx, nan), steady.Invalid},
		{"load unknown", errOf(s.LoadRun(ctx, "nope")), steady.NotFound},
		{"list limit 0", errOf(s.ListRuns(ctx, 0)), steady.Invalid},
		{"delete unknown", s.DeleteRun(ctx, "nope"), steady.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !steady.Is(tt.err, tt.want) {
				t.Errorf("got %v, want %s", tt.err, tt.want)
			}
		})
	}
	// The duplicate did not replace the stored run.
	sameRun(t, mustLoad(t, s, "a"), a)
}

func errOf[T any](_ T, err error) error { return err }

func TestDeleteRun(t *testing.T) {
	s := newStore(t)
	mustSave(t, s, evaluate(t, "a", "a", t0, nil))
	if err := s.DeleteRun(context.Background(), "a"); err != nil {
		t.Fatalf("DeleteRun: %v", err)
	}
	if _, err := s.LoadRun(context.Background(), "a"); !steady.Is(err, steady.NotFound) {
		t.Errorf("LoadRun(deleted) = %v, want NotFound", err)
	}
}

func TestRunsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traces.db")
	traces := open(t, path, tracestore.Options{})
	a := evaluate(t, "a", "a", t0, nil)
	mustSave(t, evalstore.New(traces), a)
	if err := traces.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s := evalstore.New(open(t, path, tracestore.Options{}))
	sameRun(t, mustLoad(t, s, "a"), a)
}

// The run's own spans go to the same file; purging them, as the calls'
// retention does, leaves the run.
func TestPurgeOfCallsKeepsRuns(t *testing.T) {
	var now struct {
		sync.Mutex
		t time.Time
	}
	now.t = time.Now()
	clock := func() time.Time { now.Lock(); defer now.Unlock(); return now.t }
	traces := open(t, filepath.Join(t.TempDir(), "traces.db"), tracestore.Options{Now: clock, Retention: time.Hour})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(traces))
	s := evalstore.New(traces)
	a := evaluate(t, "a", "a", t0, tp)
	mustSave(t, s, a)

	now.Lock()
	now.t = now.t.Add(48 * time.Hour) // every span is past the retention
	now.Unlock()
	n, err := traces.Purge(context.Background())
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if n == 0 {
		t.Errorf("Purge deleted no calls, want the run's spans")
	}
	sameRun(t, mustLoad(t, s, "a"), a)
}
