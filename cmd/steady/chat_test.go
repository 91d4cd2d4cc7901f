package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/observe/tracestore"
)

func TestChatReadsLinesAndPrintsTurns(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir()}
	in := "I need to clean my room but I don't know where to start\n\nok that actually helped, I'm back on it\nthanks!\n"
	out := mustSteady(t, env, in, "chat", "--user", "ana", "--session", "s1", "--json")
	sc := bufio.NewScanner(strings.NewReader(out))
	var turns []turnOut
	var end agent.Ending
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"summary"`) {
			if err := json.Unmarshal(sc.Bytes(), &end); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var tu turnOut
		if err := json.Unmarshal(sc.Bytes(), &tu); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		turns = append(turns, tu)
	}
	if len(turns) != 3 {
		t.Fatalf("%d turns printed, want 3 (blank lines skipped):\n%s", len(turns), out)
	}
	if len(turns[0].ToolCalls) != 1 || turns[0].ToolCalls[0].Name != "create_microsteps" || turns[0].Reply == "" {
		t.Errorf("first turn %+v, want create_microsteps", turns[0])
	}
	if len(turns[2].ToolCalls) != 0 {
		t.Errorf("thanks got a tool: %+v", turns[2])
	}
	if end.Summary.Turns != 3 || end.Reflection.Insight == "" {
		t.Errorf("ending %+v, want 3 turns and a reflection", end)
	}
	list := jsonOut[struct{ Interventions []memory.Intervention }](t, env, "memory", "list", "--user", "ana")
	if len(list.Interventions) != 1 || list.Interventions[0].Outcome != memory.ReEngaged {
		t.Fatalf("memory after the chat: %+v, want the intervention, re-engaged", list.Interventions)
	}
	// The judge's score is also feedback on the tool call in the trace store.
	st, err := tracestore.Open(t.Context(), env["STEADY_DATA"]+"/traces.db", tracestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	call, err := st.Call(t.Context(), list.Interventions[0].CallID)
	if err != nil {
		t.Fatal(err)
	}
	if len(call.Feedback) != 1 || call.Feedback[0].Scores["effectiveness.score"] != 0.7 {
		t.Errorf("feedback on the tool call %+v, want effectiveness.score 0.7", call.Feedback)
	}
	// Each turn is its own trace, not a branch of one as long as the chat.
	calls, err := st.Calls(t.Context(), tracestore.Filter{Op: "agent.turn"})
	if err != nil || len(calls) != 3 || calls[0].TraceID == calls[1].TraceID || calls[0].ParentID != "" {
		t.Errorf("agent.turn calls %+v, %v; want 3 root calls in their own traces", calls, err)
	}
}

func TestChatTextOutput(t *testing.T) {
	out := mustSteady(t, nil, "everything is too loud and bright in here\n", "chat", "--user", "ana", "--session", "s1")
	// Any of the tools that fit sensory overload; which one is the bandit's draw.
	fits := strings.Contains(out, "[sensory_check ") || strings.Contains(out, "[suggest_break ") || strings.Contains(out, "[grounding_exercise ")
	if !strings.HasPrefix(out, "steady: Hi, I'm Steady.") || !fits || !strings.Contains(out, "reflection: ") {
		t.Errorf("output:\n%s", out)
	}
}

func TestChatRejectsBadUser(t *testing.T) {
	if _, _, err := steady(t, nil, "hi\n", "chat", "--user", "a{b}"); err == nil || !strings.Contains(err.Error(), "user") {
		t.Errorf("bad user id: %v, want an error naming it", err)
	}
}

func TestEvalRunStoresAndForgets(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir()}
	run := jsonOut[eval.Run](t, env, "eval", "run")
	if len(run.Rows) != len(eval.Scenarios()) || run.Name != "offline" {
		t.Fatalf("run of %d rows named %q", len(run.Rows), run.Name)
	}
	if m, _ := run.Summary.Scorers["tool_usage"]["score"].(map[string]any); m == nil || m["mean"].(float64) < 0.85 {
		t.Errorf("tool_usage summary %v, want a mean of at least 0.85", run.Summary.Scorers["tool_usage"])
	}
	if out := mustSteady(t, env, "", "eval", "list"); !strings.Contains(out, run.ID) {
		t.Errorf("eval list does not show the run:\n%s", out)
	}
	totals := jsonOut[memory.Totals](t, env, "memory", "stats")
	if totals.Interventions != 0 {
		t.Errorf("the evaluation left %d interventions in memory", totals.Interventions)
	}
}
