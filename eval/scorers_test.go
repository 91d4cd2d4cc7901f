package eval_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/steady-voice/steady/eval"
)

// score runs s and fails the test on an error.
func score(t *testing.T, s eval.Scorer, ex eval.Example, out eval.Output) eval.Result {
	t.Helper()
	res, err := s.Score(context.Background(), ex, out)
	if err != nil {
		t.Fatalf("%s: %v", s.Name(), err)
	}
	return res
}

func checkFloat(t *testing.T, name string, got any, want float64) {
	t.Helper()
	f, ok := got.(float64)
	if !ok || math.Abs(f-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

func check(t *testing.T, name string, got, want any) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v (%T), want %v (%T)", name, got, got, want, want)
	}
}

func tools(names ...string) []eval.ToolCall {
	calls := make([]eval.ToolCall, len(names))
	for i, n := range names {
		calls[i] = eval.ToolCall{Name: n}
	}
	return calls
}

func TestInterventionEffectiveness(t *testing.T) {
	long := "Let's take one small step together."
	tests := []struct {
		name       string
		out        eval.Output
		score      float64
		successful bool
		category   string
	}{
		{"completed", eval.Output{Outcome: "task_completed", ToolCalls: tools("create_microsteps")}, 1.0, true, "task"},
		{"re-engaged", eval.Output{Outcome: "re_engaged", ToolCalls: tools("start_breathing_exercise")}, 0.7, true, "emotional"},
		{"other outcome, long reply", eval.Output{Outcome: "abandoned", Response: long, ToolCalls: tools("log_micro_win")}, 0.3, false, "feedback"},
		{"no outcome, long reply", eval.Output{Response: long}, 0.3, false, ""},
		{"exactly 10 characters", eval.Output{Response: "0123456789"}, 0, false, ""},
		{"11 characters", eval.Output{Response: "0123456789a"}, 0.3, false, ""},
		{"padding does not count", eval.Output{Response: "   short    "}, 0, false, ""},
		{"unknown tool", eval.Output{Outcome: "task_completed", ToolCalls: tools("teleport")}, 1.0, true, ""},
		{"empty", eval.Output{}, 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := score(t, eval.InterventionEffectiveness{}, eval.Example{}, tt.out)
			checkFloat(t, "score", res["score"], tt.score)
			check(t, "successful", res["successful"], tt.successful)
			check(t, "category", res["category"], tt.category)
		})
	}
}

func mems(sims ...float64) []eval.Memory {
	m := make([]eval.Memory, len(sims))
	for i, s := range sims {
		m[i] = eval.Memory{Similarity: s}
	}
	return m
}

func TestMemoryRetrieval(t *testing.T) {
	tests := []struct {
		name                string
		sims                []float64
		retrieved, relevant int
		relevance, mean     float64
	}{
		{"none", nil, 0, 0, 0, 0},
		{"all relevant", []float64{0.9, 0.8}, 2, 2, 1, 0.85},
		{"0.7 is not above the threshold", []float64{0.7, 0.71}, 2, 1, 0.5, 0.705},
		{"none relevant", []float64{0.1, 0.2, 0.3}, 3, 0, 0, 0.2},
		{"mixed", []float64{0.95, 0.5, 0.75, 0.2}, 4, 2, 0.5, 0.6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := score(t, eval.MemoryRetrieval{}, eval.Example{}, eval.Output{Memories: mems(tt.sims...)})
			check(t, "retrieved", res["retrieved"], tt.retrieved)
			check(t, "relevant", res["relevant"], tt.relevant)
			checkFloat(t, "relevance", res["relevance"], tt.relevance)
			checkFloat(t, "score", res["score"], tt.relevance)
			checkFloat(t, "mean_similarity", res["mean_similarity"], tt.mean)
		})
	}
}

// words returns n words with no sentence terminator.
func words(n int) string { return strings.TrimSpace(strings.Repeat("word ", n)) }

func TestBrevity(t *testing.T) {
	tests := []struct {
		name             string
		text             string
		score            float64
		words, sentences int
	}{
		{"empty", "", 1.0, 0, 0},
		{"30 words, 2 sentences", words(15) + ". " + words(15) + ".", 1.0, 30, 2},
		{"31 words", words(31), 0.7, 31, 1},
		{"3 short sentences", "Breathe. Sip water. Start.", 0.7, 4, 3},
		{"50 words, 3 sentences", words(20) + ". " + words(20) + ". " + words(10) + ".", 0.7, 50, 3},
		{"4 short sentences", "One. Two. Three. Four.", 0.4, 4, 4},
		{"51 words", words(51), 0.4, 51, 1},
		{"80 words, many sentences", strings.Repeat("Go now. ", 40), 0.4, 80, 40},
		{"81 words", words(81), 0.2, 81, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := score(t, eval.Brevity{}, eval.Example{}, eval.Output{Response: tt.text})
			checkFloat(t, "score", res["score"], tt.score)
			check(t, "words", res["words"], tt.words)
			check(t, "sentences", res["sentences"], tt.sentences)
		})
	}
}

func TestCountSentences(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"", 0},
		{"   ", 0},
		{"no terminator", 1},
		{"One.", 1},
		{"One. Two", 2},
		{"One! Two? Three.", 3},
		{"Really?! Yes.", 2},
		{"Try a small step, e.g. open the file.", 1},
		{"Snacks, water, etc. are fine. Go.", 2},
		{"Ask Dr. Lee.", 1},
		{"That's okay... let's breathe.", 1},
		{"That's okay… let's breathe.", 1},
		{"Wait...", 1},
		{"It costs 3.5 minutes.", 1},
		{"Open steady.app now.", 1},
		{`She said "stop." Then left.`, 2},
		{"(Take a break.) Then come back.", 2},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := eval.CountSentences(tt.text); got != tt.want {
				t.Errorf("CountSentences(%q) = %d, want %d", tt.text, got, tt.want)
			}
		})
	}
}

func TestSupportiveness(t *testing.T) {
	tests := []struct {
		name                 string
		text                 string
		score                float64
		positive, judgmental int
	}{
		{"neutral", "Here is the list.", 0.5, 0, 0},
		{"empty", "", 0.5, 0, 0},
		{"one positive", "That's okay, we can start small.", 0.65, 1, 0},
		{"typographic apostrophe and case", "YOU’VE GOT THIS.", 0.65, 1, 0},
		{"two positive", "Nice work! One step at a time.", 0.8, 2, 0},
		{"capped at 1", "Nice work. Well done. Great job. You did it. Proud of you.", 1.0, 5, 0},
		{"one judgmental", "Just do it.", 0.25, 0, 1},
		{"two judgmental floor at 0", "Why didn't you start? That's easy.", 0, 0, 2},
		{"mixed", "That's okay, but you should have started.", 0.4, 1, 1},
		{"whole words only", "Lazybones is a word.", 0.5, 0, 0},
		{"repeats count", "Lazy, lazy.", 0, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := score(t, eval.Supportiveness{}, eval.Example{}, eval.Output{Response: tt.text})
			checkFloat(t, "score", res["score"], tt.score)
			check(t, "positive", res["positive"], tt.positive)
			check(t, "judgmental", res["judgmental"], tt.judgmental)
		})
	}
}

func TestToolUsage(t *testing.T) {
	const want = "grounding_exercise"
	acceptable := []string{"start_breathing_exercise", "sensory_check"}
	tests := []struct {
		name   string
		ex     eval.Example
		called []string
		score  float64
		used   bool
	}{
		{"expected tool used", eval.Example{ExpectedTool: want}, []string{want}, 1.0, true},
		{"expected among others", eval.Example{ExpectedTool: want}, []string{"sensory_check", want}, 1.0, true},
		{"another tool", eval.Example{ExpectedTool: want}, []string{"suggest_break"}, 0.5, true},
		{"no tool", eval.Example{ExpectedTool: want}, nil, 0.0, false},
		{"acceptable tool", eval.Example{ExpectedTool: want, AcceptableTools: acceptable}, []string{"sensory_check"}, 1.0, true},
		{"neither expected nor acceptable", eval.Example{ExpectedTool: want, AcceptableTools: acceptable}, []string{"suggest_break"}, 0.5, true},
		{"acceptable, no tool called", eval.Example{ExpectedTool: want, AcceptableTools: acceptable}, nil, 0.0, false},
		{"only acceptable tools, one called", eval.Example{AcceptableTools: acceptable}, []string{"start_breathing_exercise"}, 1.0, true},
		{"only acceptable tools, other called", eval.Example{AcceptableTools: acceptable}, []string{"suggest_break"}, 0.5, true},
		{"only acceptable tools, unnamed call", eval.Example{AcceptableTools: acceptable}, []string{""}, 0.5, true},
		{"no tool wanted, none called", eval.Example{NoTool: true}, nil, 1.0, false},
		{"no tool wanted, one called", eval.Example{NoTool: true}, []string{"suggest_break"}, 0.0, true},
		{"no expectation, tool", eval.Example{}, []string{"suggest_break"}, 0.7, true},
		{"no expectation, no tool", eval.Example{}, nil, 0.5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := score(t, eval.ToolUsage{}, tt.ex, eval.Output{ToolCalls: tools(tt.called...)})
			checkFloat(t, "score", res["score"], tt.score)
			check(t, "used_tool", res["used_tool"], tt.used)
		})
	}
}

func TestResponseQuality(t *testing.T) {
	tests := []struct {
		name           string
		ex             eval.Example
		out            eval.Output
		score, b, s, u float64
	}{
		{"best", eval.Example{ExpectedTool: "suggest_break"},
			eval.Output{Response: "Nice work. One step at a time.", ToolCalls: tools("suggest_break")},
			0.3*1 + 0.4*0.8 + 0.3*1, 1, 0.8, 1},
		{"neutral, no tool, no expectation", eval.Example{}, eval.Output{Response: "Here."},
			0.3*1 + 0.4*0.5 + 0.3*0.5, 1, 0.5, 0.5},
		{"long, judgmental, missing tool", eval.Example{ExpectedTool: "create_microsteps"},
			eval.Output{Response: "Just do it. " + words(80)},
			0.3*0.2 + 0.4*0.25 + 0, 0.2, 0.25, 0},
		{"small talk answered with a tool", eval.Example{NoTool: true},
			eval.Output{Response: "Here.", ToolCalls: tools("start_breathing_exercise")},
			0.3*1 + 0.4*0.5 + 0, 1, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := score(t, eval.ResponseQuality{}, tt.ex, tt.out)
			checkFloat(t, "score", res["score"], tt.score)
			checkFloat(t, "brevity", res["brevity"], tt.b)
			checkFloat(t, "supportiveness", res["supportiveness"], tt.s)
			checkFloat(t, "tool_usage", res["tool_usage"], tt.u)
		})
	}
}

func TestBuiltinNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range eval.Builtin() {
		if seen[s.Name()] {
			t.Errorf("scorer name %q used twice", s.Name())
		}
		seen[s.Name()] = true
	}
}

func TestToolCategory(t *testing.T) {
	tests := []struct{ tool, want string }{
		{"create_microsteps", "task"},
		{"schedule_checkin", "feedback"},
		{"log_micro_win", "feedback"},
		{"reframe_thought", "emotional"},
		{"grounding_exercise", "emotional"},
		{"nope", ""},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			if got := eval.ToolCategory(tt.tool); got != tt.want {
				t.Errorf("ToolCategory(%q) = %q, want %q", tt.tool, got, tt.want)
			}
		})
	}
}
