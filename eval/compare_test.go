package eval_test

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/steady-voice/steady/eval"
)

// runWith runs model over examples with the given scorers.
func runWith(t *testing.T, examples []eval.Example, scorers []eval.Scorer, model eval.Model) *eval.Run {
	t.Helper()
	e := &eval.Evaluation{Dataset: examples, Scorers: scorers}
	run, err := e.Run(context.Background(), model, eval.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// replies answers each example id with a fixed reply.
func replies(byID map[string]string) eval.Model {
	return func(_ context.Context, ex eval.Example) (eval.Output, error) {
		return eval.Output{Response: byID[ex.ID]}, nil
	}
}

func TestCompare(t *testing.T) {
	exs := []eval.Example{{ID: "a", Input: "x"}, {ID: "b", Input: "y"}, {ID: "c", Input: "z"}}
	onlyA := eval.ScorerFunc("only_a", func(context.Context, eval.Example, eval.Output) (eval.Result, error) {
		return eval.Result{"score": 1.0}, nil
	})
	runA := runWith(t, exs[:2], []eval.Scorer{eval.Supportiveness{}, onlyA}, replies(map[string]string{
		"a": "Here is the plan.", // 0.5
		"b": "Nice work.",        // 0.65
	}))
	runB := runWith(t, exs, []eval.Scorer{eval.Supportiveness{}}, replies(map[string]string{
		"a": "That's okay.", // 0.65: a win
		"b": "Just do it.",  // 0.25: a loss
		"c": "Nice work.",   // not in A: not compared
	}))
	c := eval.Compare(runA, runB)
	if c.A != runA.ID || c.B != runB.ID {
		t.Errorf("comparison of %q and %q, want %q and %q", c.A, c.B, runA.ID, runB.ID)
	}
	if len(c.Scorers) != 1 || c.Scorers[0].Scorer != "supportiveness" {
		t.Fatalf("compared scorers %+v, want only supportiveness", c.Scorers)
	}
	sc := c.Scorers[0]
	if got, want := [4]int{sc.Rows, sc.Wins, sc.Losses, sc.Ties}, [4]int{2, 1, 1, 0}; got != want {
		t.Errorf("rows, wins, losses, ties = %v, want %v", got, want)
	}
	var paths []string
	for _, m := range sc.Metrics {
		paths = append(paths, m.Path)
	}
	if want := []string{"judgmental.mean", "positive.mean", "score.mean"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("metric paths = %v, want %v", paths, want)
	}
	score := sc.Metrics[2]
	wantA, wantB := (0.5+0.65)/2, (0.65+0.25+0.65)/3
	if math.Abs(score.A-wantA) > 1e-9 || math.Abs(score.B-wantB) > 1e-9 || math.Abs(score.Delta-(wantB-wantA)) > 1e-9 {
		t.Errorf("score.mean = %+v, want A %v, B %v, delta %v", score, wantA, wantB, wantB-wantA)
	}
}

// TestCompareStoredRun checks that a run survives JSON, as a RunStore keeps
// it: comparing the loaded copies gives the same comparison.
func TestCompareStoredRun(t *testing.T) {
	exs := []eval.Example{{ID: "a", Input: "x", ExpectedTool: "suggest_break"}, {ID: "b", Input: "y"}}
	model := replies(map[string]string{"a": "Nice work.", "b": "Why didn't you start?"})
	runA := runWith(t, exs, eval.Builtin(), model)
	runB := runWith(t, exs, eval.Builtin(), echoModel)
	want := eval.Compare(runA, runB)
	got := eval.Compare(reload(t, runA), reload(t, runB))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Compare of reloaded runs = %+v, want %+v", got, want)
	}
}

func reload(t *testing.T, run *eval.Run) *eval.Run {
	t.Helper()
	b, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	var loaded eval.Run
	if err := json.Unmarshal(b, &loaded); err != nil {
		t.Fatal(err)
	}
	return &loaded
}
