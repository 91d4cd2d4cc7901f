package memory_test

import (
	"strings"
	"testing"
	"time"

	"github.com/steady-voice/steady/memory"
)

func TestPromptContextForNewUser(t *testing.T) {
	f := newFixture(t)
	got, err := f.svc.PromptContext(f.ctx, "newbie")
	if err != nil || got != memory.NoHistory {
		t.Errorf("got %q, %v; want %q", got, err, memory.NoHistory)
	}
}

func TestPromptContext(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.UpdateProfile(f.ctx, "alice", func(p *memory.Profile) error {
		p.Diagnosis, p.DiagnosisSource = memory.DiagnosisBoth, memory.SourceOfficial
		p.SensorySensitivities = []string{"fluorescent light", "chewing sounds"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, insight := range []string{"one", "two", "three", "four"} {
		f.svc.Reflect(f.ctx, memory.Reflection{UserID: "alice", SessionID: "s1", Insight: "insight " + insight})
		f.clock.Advance(time.Duration(i+1) * time.Minute)
	}
	iv := f.record(t, memory.Intervention{Context: "too loud", Tool: "sensory_check"})
	f.svc.SetOutcome(f.ctx, "alice", iv.ID, memory.ReEngaged, map[string]float64{"effectiveness": 0.75})
	f.record(t, memory.Intervention{Context: "stuck", Tool: "create_microsteps", Category: memory.Task, Outcome: memory.Abandoned})

	got, err := f.svc.PromptContext(f.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ADHD:", "Autism:", "Adaptation intensity 1.0", "fluorescent light",
		"insight four", "insight two", "sensory check helped 1 of 1 times (mean effectiveness 0.75)", "2 past interventions (1 successful), 4 reflections."} {
		if !strings.Contains(got, want) {
			t.Errorf("context lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "insight one") || strings.Contains(got, "create microsteps helped") {
		t.Errorf("context shows the 4th reflection or a tool that never helped:\n%s", got)
	}
}

func TestContextRespectsBudgetWithWholeLines(t *testing.T) {
	full := newFixture(t)
	small := newFixture(t, func(c *memory.Config) { c.Context.BudgetTokens = 60 })
	for _, f := range []*fixture{full, small} {
		for i := range 5 {
			f.record(t, memory.Intervention{Context: "I can't get started on the report " + strings.Repeat("really ", i), Outcome: memory.TaskCompleted,
				Text: "Let's break it into three tiny steps."})
			f.clock.Advance(time.Second)
		}
		f.svc.Reflect(f.ctx, memory.Reflection{UserID: "alice", SessionID: "s", Insight: strings.Repeat("long insight ", 30)})
	}
	for _, get := range []func(*fixture) (string, error){
		func(f *fixture) (string, error) { return f.svc.PromptContext(f.ctx, "alice") },
		func(f *fixture) (string, error) {
			return f.svc.DynamicContext(f.ctx, "alice", "cannot start the report", 5)
		},
	} {
		whole, err := get(full)
		if err != nil {
			t.Fatal(err)
		}
		cut, err := get(small)
		if err != nil {
			t.Fatal(err)
		}
		if memory.EstimateTokens(cut) > 60 || len(cut) >= len(whole) {
			t.Errorf("budgeted context has %d tokens (%d chars, unbudgeted %d), want ≤ 60 and shorter", memory.EstimateTokens(cut), len(cut), len(whole))
		}
		for _, line := range strings.Split(cut, "\n") {
			if !strings.Contains(whole, line) {
				t.Errorf("budgeted line %q is not a whole line of the full context", line)
			}
		}
	}
}

func TestDynamicContext(t *testing.T) {
	f := newFixture(t)
	f.record(t, memory.Intervention{Context: "I can't get started on my taxes", Tool: "create_microsteps", Category: memory.Task,
		Text: "Step 1: open the folder.", Outcome: memory.TaskCompleted, Scores: map[string]float64{"effectiveness": 0.9}})
	f.record(t, memory.Intervention{Context: "the neighbours are drilling", Tool: "sensory_check", Outcome: memory.ReEngaged})
	got, err := f.svc.DynamicContext(f.ctx, "alice", "I can't start doing my taxes", 3)
	if err != nil {
		t.Fatal(err)
	}
	want := "1. User said: \"I can't get started on my taxes\"\n   Agent did: create microsteps — \"Step 1: open the folder.\"\n   Result: task_completed (effectiveness 0.90)"
	if !strings.Contains(got, want) {
		t.Errorf("got\n%s\nwant it to contain\n%s", got, want)
	}
	if strings.Contains(got, "drilling") {
		t.Errorf("an unrelated situation passed the similarity threshold:\n%s", got)
	}
	if none, err := f.svc.DynamicContext(f.ctx, "bob", "I can't start doing my taxes", 3); err != nil || none != "" {
		t.Errorf("bob's dynamic context = %q, %v; want empty", none, err)
	}
}

func TestStats(t *testing.T) {
	f := newFixture(t)
	for _, o := range []memory.Outcome{memory.ReEngaged, memory.Abandoned, memory.TaskCompleted} {
		iv := f.record(t, memory.Intervention{Context: "help", Tool: "grounding_exercise"})
		f.svc.SetOutcome(f.ctx, "alice", iv.ID, o, map[string]float64{"effectiveness": map[memory.Outcome]float64{memory.ReEngaged: 0.8, memory.Abandoned: 0.2, memory.TaskCompleted: 0.5}[o]})
	}
	f.record(t, memory.Intervention{Context: "x", Tool: "suggest_break"})
	st, err := f.svc.Stats(f.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if st.Interventions != 4 || st.Successful != 2 || len(st.Tools) != 2 {
		t.Fatalf("stats %+v, want 4 interventions, 2 successful, 2 tools", st)
	}
	g := st.Tools[0]
	if g.Tool != "grounding_exercise" || g.Uses != 3 || g.Successes != 2 || g.MeanEffectiveness == nil || *g.MeanEffectiveness != 0.5 {
		t.Errorf("grounding stats %+v, want 3 uses, 2 successes, mean 0.5", g)
	}
	if st.Tools[1].MeanEffectiveness != nil {
		t.Errorf("unscored tool has mean %v, want none", *st.Tools[1].MeanEffectiveness)
	}
}

func TestDynamicContextMinScore(t *testing.T) {
	f := newFixture(t, func(c *memory.Config) { c.Context.MinScore = 0.7 })
	f.record(t, memory.Intervention{Context: "I can't get started on my taxes", Tool: "create_microsteps",
		Outcome: memory.ReEngaged, Scores: map[string]float64{"effectiveness": 0.7}})
	f.record(t, memory.Intervention{Context: "I can't get started on my tax return", Tool: "reframe_thought",
		Outcome: memory.ReEngaged}) // hopeful initial outcome, never judged
	got, err := f.svc.DynamicContext(f.ctx, "alice", "I can't start doing my taxes", 3)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "create microsteps") || strings.Contains(got, "reframe") {
		t.Errorf("got\n%s\nwant only the scored example", got)
	}
}

func TestExamplesContextMatchesDynamicContext(t *testing.T) {
	f := newFixture(t, func(c *memory.Config) { c.Context.MinScore = 0.7 })
	good := map[string]float64{"effectiveness": 0.9}
	f.record(t, memory.Intervention{Context: "I can't get started on my taxes", Tool: "create_microsteps", Outcome: memory.TaskCompleted, Scores: good})
	f.record(t, memory.Intervention{Context: "I can't get started on my taxes", Tool: "create_microsteps", Outcome: memory.TaskCompleted, Scores: good})
	f.record(t, memory.Intervention{Context: "I can't start the tax forms", Tool: "reframe_thought", Outcome: memory.Abandoned, Scores: map[string]float64{"effectiveness": 0.3}})
	f.record(t, memory.Intervention{Context: "starting taxes is hard", Tool: "suggest_break", Outcome: memory.ReEngaged, Scores: good})
	q := "I can't start doing my taxes"
	want, err := f.svc.DynamicContext(f.ctx, "alice", q, 3)
	if err != nil || want == "" {
		t.Fatalf("DynamicContext = %q, %v", want, err)
	}
	light, err := f.svc.Search(f.ctx, "alice", memory.Query{Text: q, K: 30, AllOutcomes: true, Duplicates: true, Light: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.ExamplesContext(f.ctx, "alice", light, 3)
	if err != nil || got != want {
		t.Errorf("ExamplesContext =\n%s\n%v\nwant DynamicContext's\n%s", got, err, want)
	}
	if _, err := f.svc.ExamplesContext(f.ctx, "a{b}", light, 3); err == nil {
		t.Error("a bad user id was accepted")
	}
}
