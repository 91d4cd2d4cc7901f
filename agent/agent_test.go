package agent_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/memory"
)

func TestTurnRecordsIntervention(t *testing.T) {
	r := newRig(t)
	s := r.start(t, "alice", "s1")
	text := "I need to clean my room but I don't know where to start"
	rep := r.turn(t, s, text)
	if len(rep.ToolCalls) != 1 || rep.ToolCalls[0].Name != "create_microsteps" {
		t.Fatalf("tool calls %+v, want create_microsteps", rep.ToolCalls)
	}
	if rep.Text == "" || rep.TraceID == "" {
		t.Errorf("reply %+v: want text and a trace id", rep)
	}
	ivs := r.interventions(t, "alice")
	if len(ivs) != 1 {
		t.Fatalf("got %d interventions, want 1", len(ivs))
	}
	iv := ivs[0]
	if iv.Context != text || iv.Tool != "create_microsteps" || iv.Category != memory.Task ||
		iv.Outcome != memory.TaskStarted || iv.SessionID != "s1" || iv.Task == "" ||
		!strings.HasPrefix(iv.Text, "Used create_microsteps: ") || iv.CallID != rep.ToolCalls[0].CallID {
		t.Errorf("intervention %+v does not describe the call %+v", iv, rep.ToolCalls[0])
	}
}

func TestSmallTalkUsesNoTool(t *testing.T) {
	r := newRig(t)
	s := r.start(t, "alice", "s1")
	for _, text := range []string{"thanks so much, that's really kind", "hey there"} {
		if rep := r.turn(t, s, text); len(rep.ToolCalls) != 0 || rep.Text == "" {
			t.Errorf("%q: reply %+v, want words and no tool", text, rep)
		}
	}
	if ivs := r.interventions(t, "alice"); len(ivs) != 0 {
		t.Errorf("small talk recorded %d interventions", len(ivs))
	}
}

func TestReplyDecidesOutcome(t *testing.T) {
	tests := []struct {
		reply string
		want  memory.Outcome
		score float64
	}{
		{"ok that actually helped, I'm back on it now", memory.ReEngaged, 0.7},
		{"that's not working, I still can't focus at all", memory.InterventionApplied, 0.3},
	}
	for _, tt := range tests {
		t.Run(tt.reply, func(t *testing.T) {
			r := newRig(t)
			s := r.start(t, "alice", "s1")
			first := r.turn(t, s, "everything is too much right now and I'm freezing up")
			if len(first.ToolCalls) != 1 {
				t.Fatalf("no tool for overwhelm: %+v", first)
			}
			r.turn(t, s, tt.reply)
			iv := r.intervention(t, "alice", first.ToolCalls[0].InterventionID)
			if iv.Outcome != tt.want || iv.Scores[agent.ScoreName] != tt.score {
				t.Errorf("outcome %s scores %v, want %s with %s %.1f", iv.Outcome, iv.Scores, tt.want, agent.ScoreName, tt.score)
			}
			r.mu.Lock()
			fb := r.scores[first.ToolCalls[0].CallID]
			r.mu.Unlock()
			if fb["effectiveness.score"] != tt.score {
				t.Errorf("feedback on the call %v, want effectiveness.score %.1f", fb, tt.score)
			}
		})
	}
}

func (r *rig) intervention(t *testing.T, user, id string) memory.Intervention {
	t.Helper()
	r.drain(t)
	iv, err := r.memory.Intervention(r.ctx, user, id)
	if err != nil {
		t.Fatal(err)
	}
	return iv
}

func TestStepsCompleteTheTask(t *testing.T) {
	r := newRig(t)
	s := r.start(t, "alice", "s1")
	first := r.turn(t, s, "I have to write the intro of my thesis and I can't get going")
	if first.ToolCalls[0].Name != "create_microsteps" {
		t.Fatalf("got %+v", first.ToolCalls)
	}
	b := r.agent.Bridge()
	for i := 0; i < 3; i++ {
		if _, err := b.HandleToolCall(r.ctx, s, "mark_step_complete", nil); err != nil {
			t.Fatal(err)
		}
		r.turn(t, s, "next one") // a new turn, so the next call is not a duplicate
	}
	iv := r.intervention(t, "alice", first.ToolCalls[0].InterventionID)
	if iv.Outcome != memory.TaskCompleted || iv.Scores[agent.ScoreName] != 1 {
		t.Errorf("after all steps: outcome %s scores %v, want task_completed scored 1", iv.Outcome, iv.Scores)
	}
}

func TestEndJudgesAndReflects(t *testing.T) {
	r := newRig(t)
	s := r.start(t, "alice", "s1")
	rep := r.turn(t, s, "the lights in here are way too bright and the fan is so loud")
	end, err := r.agent.End(r.ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	iv := r.intervention(t, "alice", rep.ToolCalls[0].InterventionID)
	if iv.Outcome != memory.Abandoned {
		t.Errorf("unanswered intervention: outcome %s, want abandoned", iv.Outcome)
	}
	if end.Summary.Turns != 1 || end.Summary.ToolCalls != 1 || len(end.Summary.NotHelped) != 1 {
		t.Errorf("summary %+v", end.Summary)
	}
	refl, err := r.memory.Reflections(r.ctx, "alice", 0)
	if err != nil || len(refl) != 1 || refl[0].Insight != end.Reflection.Insight || !strings.Contains(refl[0].Insight, "did not help") {
		t.Errorf("reflections %+v, %v; want the ending's insight about what did not help", refl, err)
	}
}

func TestDuplicateCallAnsweredOnce(t *testing.T) {
	r := newRig(t)
	s := r.start(t, "alice", "s1")
	b := r.agent.Bridge()
	args := json.RawMessage(`{"minutes": 5}`)
	one, err1 := b.HandleToolCall(r.ctx, s, "schedule_checkin", args)
	two, err2 := b.HandleToolCall(r.ctx, s, "schedule_checkin", json.RawMessage(`{ "minutes":5 }`))
	if err1 != nil || err2 != nil || one.CallID != two.CallID || one.Result != two.Result {
		t.Fatalf("calls %+v %v / %+v %v: want the second answered by the first", one, err1, two, err2)
	}
	st, _ := r.memory.Session(r.ctx, "alice", "s1")
	if len(st.Checkins) != 1 || len(r.interventions(t, "alice")) != 1 {
		t.Errorf("%d check-ins, want 1", len(st.Checkins))
	}
}

func TestBadArgumentsTellTheModel(t *testing.T) {
	r := newRig(t)
	s := r.start(t, "alice", "s1")
	b := r.agent.Bridge()
	for _, c := range []struct{ name, args, want string }{
		{"create_reminder", `{"task": "call mum"}`, `"minutes"`},
		{"schedule_checkin", `{"minutes": 0}`, "from 1 to 120"},
		{"reframe_thought", `{"thought_type": "sad"}`, "perfectionism"},
		{"fly_to_the_moon", `{}`, "unknown tool"},
	} {
		res, err := b.HandleToolCall(r.ctx, s, c.name, json.RawMessage(c.args))
		if steady.ErrorCode(err) != steady.Invalid || !strings.Contains(res.Result, c.want) || res.Error == "" {
			t.Errorf("%s %s: result %q, err %v; want Invalid and a result naming %s", c.name, c.args, res.Result, err, c.want)
		}
	}
	if st, _ := r.memory.Session(r.ctx, "alice", "s1"); len(st.Checkins) != 0 {
		t.Errorf("a bad call changed the state: %+v", st)
	}
	if n := len(r.interventions(t, "alice")); n != 0 {
		t.Errorf("bad calls recorded %d interventions", n)
	}
}

func TestSessionsNeverShareState(t *testing.T) {
	r := newRig(t)
	a1 := r.start(t, "alice", "s1")
	a2 := r.start(t, "alice", "s2")
	b1 := r.start(t, "bob", "s1")
	r.turn(t, a1, "I need to do my taxes and I can't start")
	for _, s := range []*agent.Session{a2, b1} {
		res, err := r.agent.Bridge().HandleToolCall(r.ctx, s, "get_current_step", nil)
		if err != nil || strings.Contains(res.Result, "taxes") {
			t.Errorf("%s/%s sees another session's task: %q, %v", s.UserID, s.ID, res.Result, err)
		}
	}
}

func TestCheckinComesDueOnce(t *testing.T) {
	r := newRig(t)
	s := r.start(t, "alice", "s1")
	rep := r.turn(t, s, "can you check in on me in 5 minutes?")
	if len(rep.ToolCalls) != 1 || rep.ToolCalls[0].Name != "schedule_checkin" || !strings.Contains(string(rep.ToolCalls[0].Args), `"minutes":5`) {
		t.Fatalf("tool calls %+v, want schedule_checkin for 5 minutes", rep.ToolCalls)
	}
	if due, _ := r.agent.Due(r.ctx, s); len(due) != 0 {
		t.Fatalf("due before its time: %+v", due)
	}
	r.clock.Advance(5 * time.Minute)
	due, err := r.agent.Due(r.ctx, s)
	if err != nil || len(due) != 1 {
		t.Fatalf("due = %+v, %v; want the check-in", due, err)
	}
	if again, _ := r.agent.Due(r.ctx, s); len(again) != 0 {
		t.Errorf("fired twice: %+v", again)
	}
	res, _ := r.agent.Bridge().HandleToolCall(r.ctx, s, "get_time_since_last_checkin", nil)
	if !strings.Contains(res.Result, "0 minutes") && !strings.Contains(res.Result, "just now") && !strings.Contains(res.Result, "less than") {
		t.Logf("time since the check-in: %q", res.Result)
	}
}

func TestBadTurnChangesNothing(t *testing.T) {
	r := newRig(t)
	s := r.start(t, "alice", "s1")
	for _, text := range []string{"", "   ", strings.Repeat("a", agent.MaxUtteranceBytes+1), "\xff\xfe"} {
		if _, err := r.agent.Turn(r.ctx, s, text); steady.ErrorCode(err) != steady.Invalid {
			t.Errorf("turn of %d bytes: err %v, want Invalid", len(text), err)
		}
	}
	if _, _, err := r.agent.Start(r.ctx, "bad user{}", "s"); steady.ErrorCode(err) != steady.Invalid {
		t.Errorf("bad user id: %v, want Invalid", err)
	}
}

func TestTurnWithNoKnownWord(t *testing.T) {
	r := newRig(t)
	s := r.start(t, "alice", "s1")
	r.turn(t, s, "I need to clean my room but I don't know where to start") // memory is not empty
	if rep := r.turn(t, s, "zzqx vrrbl"); rep.Text == "" {
		t.Errorf("no reply to unknown words: %+v", rep)
	}
}
