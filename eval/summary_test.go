package eval_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/steady-voice/steady/eval"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name    string
		results []eval.Result
		want    eval.Result
	}{
		{"nothing", nil, eval.Result{}},
		{"numbers → mean", []eval.Result{{"score": 1.0}, {"score": 0.5}, {"score": 0}},
			eval.Result{"score": eval.Result{"mean": 0.5}}},
		{"ints and floats mix", []eval.Result{{"n": 1}, {"n": int64(2)}, {"n": 3.0}, {"n": float32(2)}},
			eval.Result{"n": eval.Result{"mean": 2.0}}},
		{"booleans → true_count, true_fraction", []eval.Result{{"ok": true}, {"ok": false}, {"ok": true}, {"ok": true}},
			eval.Result{"ok": eval.Result{"true_count": 3, "true_fraction": 0.75}}},
		{"strings left out", []eval.Result{{"category": "task", "score": 1.0}},
			eval.Result{"score": eval.Result{"mean": 1.0}}},
		{"nested maps recursed", []eval.Result{
			{"parts": eval.Result{"a": 1.0, "deep": map[string]any{"ok": true}}},
			{"parts": map[string]any{"a": 0.0, "deep": eval.Result{"ok": false}}},
		}, eval.Result{"parts": eval.Result{
			"a":    eval.Result{"mean": 0.5},
			"deep": eval.Result{"ok": eval.Result{"true_count": 1, "true_fraction": 0.5}},
		}}},
		{"key summarised over the results that have it", []eval.Result{{"score": 1.0}, {"other": true}, {"score": 0.0}, nil},
			eval.Result{"score": eval.Result{"mean": 0.5}, "other": eval.Result{"true_count": 1, "true_fraction": 1.0}}},
		{"json numbers", []eval.Result{{"n": json.Number("2")}, {"n": json.Number("4")}},
			eval.Result{"n": eval.Result{"mean": 3.0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := eval.Summarize(tt.results)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Summarize = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestResultFlatten(t *testing.T) {
	r := eval.Result{
		"score": 0.5, "n": 3, "ok": true, "bad": false, "category": "task",
		"parts": eval.Result{"a": 1.0, "deep": map[string]any{"b": 2}},
	}
	want := map[string]float64{"score": 0.5, "n": 3, "ok": 1, "bad": 0, "parts.a": 1, "parts.deep.b": 2}
	if got := r.Flatten(); !reflect.DeepEqual(got, want) {
		t.Errorf("Flatten = %v, want %v", got, want)
	}
}
