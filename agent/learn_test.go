package agent_test

import (
	"fmt"
	"testing"

	"github.com/steady-voice/steady/eval"
)

// The policy must learn, for one user, what helps them in a situation even
// when it is not the textbook choice.
func TestPolicyLearnsWhatHelpsThisUser(t *testing.T) {
	r := newRig(t)
	overwhelmed := []string{
		"everything is too much right now and I'm freezing up",
		"I have so many things due and I can't think straight",
		"it's all piling up at once and I'm shutting down",
	}
	const sessions, lastN = 30, 10
	late := map[string]int{}
	for i := range sessions {
		s := r.start(t, "alice", fmt.Sprintf("s%02d", i))
		rep := r.turn(t, s, overwhelmed[i%len(overwhelmed)])
		if len(rep.ToolCalls) == 0 {
			t.Fatalf("session %d: no tool for overwhelm", i)
		}
		if i >= sessions-lastN {
			late[rep.ToolCalls[0].Name]++
		}
		// The user says whether it helped; the agent tries something
		// else until it does, three times at most.
		for try := 0; try < 3 && len(rep.ToolCalls) > 0; try++ {
			if rep.ToolCalls[0].Name == "suggest_break" {
				r.turn(t, s, "ok that actually helped, I'm back on it")
				break
			}
			rep = r.turn(t, s, "that's not working, I still can't focus at all")
		}
		if _, err := r.agent.End(r.ctx, s); err != nil {
			t.Fatal(err)
		}
		r.drain(t) // the scores are in memory before the next session
	}
	if late["suggest_break"] < 7 {
		t.Errorf("last %d sessions chose %v; want suggest_break at least 7 times", lastN, late)
	}
}

// The offline policy must pick an acceptable tool for at least 85% of the
// evaluation scenarios, and none for small talk.
func TestOfflinePolicyOnScenarios(t *testing.T) {
	r := newRig(t)
	rows := eval.Scenarios()
	e := eval.Evaluation{Dataset: rows, Scorers: []eval.Scorer{eval.ToolUsage{}}}
	run, err := e.Run(r.ctx, r.agent.EvalModel("eval"), eval.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	good := 0
	for _, row := range run.Rows {
		if row.Error != "" {
			t.Fatalf("%s: %s", row.Example.ID, row.Error)
		}
		score := row.Scores["tool_usage"][eval.ScoreKey]
		switch {
		case score == 1.0:
			good++
		case row.Example.NoTool:
			t.Errorf("%s: small talk %q got a tool: %+v", row.Example.ID, row.Example.Input, row.Output.ToolCalls)
		default:
			t.Logf("%s: %q → %+v (want %s or %v)", row.Example.ID, row.Example.Input, row.Output.ToolCalls, row.Example.ExpectedTool, row.Example.AcceptableTools)
		}
	}
	frac := float64(good) / float64(len(run.Rows))
	t.Logf("acceptable tool for %d of %d scenarios (%.1f%%)", good, len(run.Rows), 100*frac)
	if frac < 0.85 {
		t.Errorf("acceptable tool for %.1f%% of scenarios, want at least 85%%", 100*frac)
	}
}

// Distress right after a tool gets help, even when it happens to sound
// like "back on it" to the reply classifier: cheering someone who says they
// can barely keep their eyes open would dismiss them.
func TestDistressAfterAToolGetsHelp(t *testing.T) {
	r := newRig(t)
	for i, tired := range []string{
		"I'm so sleepy I can barely keep my eyes open",
		"I'm really tired now and my brain feels slow",
	} {
		s := r.start(t, "alice", fmt.Sprintf("s%d", i))
		if rep := r.turn(t, s, "everything is too much right now and I'm freezing up"); len(rep.ToolCalls) == 0 {
			t.Fatalf("no tool for overwhelm: %+v", rep)
		}
		rep := r.turn(t, s, tired)
		if rep.Situation != "fatigue" || len(rep.ToolCalls) == 0 {
			t.Errorf("%q after a tool: situation %q, tools %+v, reply %q; want fatigue and a tool", tired, rep.Situation, rep.ToolCalls, rep.Text)
		}
	}
}
