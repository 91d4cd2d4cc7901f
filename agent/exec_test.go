package agent_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/memory"
)

var execNow = time.Date(2025, 3, 14, 15, 4, 5, 0, time.UTC)

// execTool validates raw for the tool and executes it on st at now.
func execTool(t *testing.T, st *memory.SessionState, tool, raw string, now time.Time) string {
	t.Helper()
	out, err := tryExecTool(t, st, tool, raw, now)
	if err != nil {
		t.Fatalf("%s %s: %v", tool, raw, err)
	}
	return out
}

func tryExecTool(t *testing.T, st *memory.SessionState, tool, raw string, now time.Time) (string, error) {
	t.Helper()
	tl := mustTool(t, tool)
	args, err := tl.Validate(json.RawMessage(raw))
	if err != nil {
		t.Fatalf("%s %s: %v", tool, raw, err)
	}
	return agent.Execute(st, tl, args, now)
}

func TestExecuteResults(t *testing.T) {
	tests := []struct {
		tool, raw string
		want      string
	}{
		{"get_current_time", ``, "It's 3:04 PM."},
		{"create_microsteps", `{"task": "clean my room"}`, `3 small steps for "clean my room". First: Clear a small space and gather what you need for "clean my room" (2 minutes).`},
		{"create_microsteps", `{"task": "the report.", "count": 1}`, `1 small step for "the report": Spend just 5 minutes on the first tiny piece of "the report", then stop and notice how it went.`},
		{"get_current_step", ``, "There's no task in progress yet. Tell me what you'd like to work on, and we can break it into small steps."},
		{"mark_step_complete", ``, "There's no task in progress, so there's nothing to mark yet. Want to break something into small steps?"},
		{"create_reminder", `{"task": "take meds", "minutes": 90}`, `Okay, I'll remind you about "take meds" in 1 hour and 30 minutes.`},
		{"schedule_checkin", `{"minutes": 1}`, "Okay, I'll check in with you in 1 minute."},
		{"schedule_checkin", `{"minutes": 120}`, "Okay, I'll check in with you in 2 hours."},
		{"get_time_since_last_checkin", ``, "No check-in yet this session."},
		{"log_micro_win", `{"description": "Sent the email."}`, "Win logged: Sent the email. That counts!"},
		{"log_win", `{"description": "dishes"}`, "Win logged: dishes. That counts!"},
		{"start_breathing_exercise", `{"breaths": 1}`, "Let's take one breath together: in through your nose for 4, hold for 4, and slowly out for 6."},
		{"start_breathing_exercise", `{}`, "Let's take 3 quick breaths together: in for 4, hold for 4, and slowly out for 6."},
		{"start_breathing_exercise", `{"breaths": 10}`, "Let's take 10 slow breaths together. Breathe in for 4 and out for 6, and let your shoulders drop a little each time."},
		{"sensory_check", ``, "Quick sensory check: is it too loud or too bright where you are, and how does your body feel right now?"},
		{"suggest_break", `{"duration_minutes": 2}`, "Take a 2-minute break: stand up, stretch your arms high, and have a sip of water."},
		{"suggest_break", `{}`, "Take a 5-minute break: step away from the screen, move around a little, and get some water. Your task will wait for you."},
		{"suggest_break", `{"duration_minutes": 15}`, "Take a 15-minute break: a short walk, a snack, or a rest somewhere quiet. A timer makes coming back easier."},
	}
	for _, tt := range tests {
		t.Run(tt.tool+" "+tt.raw, func(t *testing.T) {
			got := execTool(t, &memory.SessionState{}, tt.tool, tt.raw, execNow)
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestExecuteTimeInLocation(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	got := execTool(t, &memory.SessionState{}, "get_current_time", ``, execNow.In(tokyo))
	if want := "It's 12:04 AM."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestExecuteEveryVariantIsBrief(t *testing.T) {
	// Every result is spoken aloud: eval's Brevity must give it full marks,
	// and no markdown may slip in.
	calls := map[string][]string{
		"grounding_exercise":          {`{"technique": "5-4-3-2-1"}`, `{"technique": "body_scan"}`, `{"technique": "simple"}`},
		"reframe_thought":             {`{"thought_type": "perfectionism"}`, `{"thought_type": "catastrophizing"}`, `{"thought_type": "rsd"}`, `{"thought_type": "overwhelm"}`, `{"thought_type": "imposter"}`},
		"start_breathing_exercise":    {`{"breaths": 1}`, `{"breaths": 3}`, `{"breaths": 4}`},
		"suggest_break":               {`{"duration_minutes": 1}`, `{"duration_minutes": 5}`, `{"duration_minutes": 60}`},
		"create_microsteps":           {`{"task": "clean my room", "count": 1}`, `{"task": "clean my room", "count": 2}`, `{"task": "clean my room", "count": 10}`},
		"sensory_check":               {``},
		"get_time_since_last_checkin": {``},
	}
	for tool, raws := range calls {
		for _, raw := range raws {
			got := execTool(t, &memory.SessionState{}, tool, raw, execNow)
			checkSpeakable(t, tool+" "+raw, got)
		}
	}
	st := &memory.SessionState{}
	execTool(t, st, "create_microsteps", `{"task": "write the intro", "count": 10}`, execNow)
	for range 11 {
		checkSpeakable(t, "get_current_step", execTool(t, st, "get_current_step", ``, execNow))
		checkSpeakable(t, "mark_step_complete", execTool(t, st, "mark_step_complete", ``, execNow))
	}
}

func checkSpeakable(t *testing.T, what, s string) {
	t.Helper()
	res, _ := eval.Brevity{}.Score(t.Context(), eval.Example{}, eval.Output{Response: s})
	if res[eval.ScoreKey] != 1.0 {
		t.Errorf("%s: brevity %v (%d words, %d sentences), want 1: %q", what, res[eval.ScoreKey], eval.CountWords(s), eval.CountSentences(s), s)
	}
	if strings.ContainsAny(s, "*#`_[]") && !strings.Contains(s, "body_scan") {
		t.Errorf("%s: %q looks like markdown", what, s)
	}
}

func TestExecuteGroundingAndReframesDiffer(t *testing.T) {
	seen := map[string]string{}
	for _, raw := range []string{
		`{"technique": "5-4-3-2-1"}`, `{"technique": "body_scan"}`, `{"technique": "simple"}`,
	} {
		got := execTool(t, &memory.SessionState{}, "grounding_exercise", raw, execNow)
		if prev, ok := seen[got]; ok || got == "" {
			t.Errorf("%s: got %q, the same as %s", raw, got, prev)
		}
		seen[got] = raw
	}
	for _, tt := range []string{"perfectionism", "catastrophizing", "rsd", "overwhelm", "imposter"} {
		raw := fmt.Sprintf(`{"thought_type": %q}`, tt)
		got := execTool(t, &memory.SessionState{}, "reframe_thought", raw, execNow)
		if prev, ok := seen[got]; ok || got == "" {
			t.Errorf("%s: got %q, the same as %s", raw, got, prev)
		}
		seen[got] = raw
	}
}

func TestExecuteStepsThroughToTheEnd(t *testing.T) {
	st := &memory.SessionState{}
	execTool(t, st, "create_microsteps", `{"task": "clean my room", "count": 3}`, execNow)
	if st.Task != "clean my room" || len(st.Steps) != 3 || st.CurrentStep != 0 {
		t.Fatalf("got task %q, %d steps, current %d; want clean my room, 3, 0", st.Task, len(st.Steps), st.CurrentStep)
	}
	steps := append([]string(nil), st.Steps...)
	tests := []struct {
		tool, want string
		current    int
		done       bool
	}{
		{"get_current_step", `Step 1 of 3 for "clean my room": ` + steps[0], 0, false},
		{"mark_step_complete", "Step 1 is done, nice work! Next: " + steps[1], 1, false},
		{"get_current_step", `Step 2 of 3 for "clean my room": ` + steps[1], 1, false},
		{"mark_step_complete", "Step 2 is done, nice work! Next: " + steps[2], 2, false},
		{"mark_step_complete", `That was the last step: "clean my room" is done. Well done!`, 3, true},
		{"get_current_step", `All 3 steps for "clean my room" are done. Well done!`, 3, true},
		{"mark_step_complete", `All the steps for "clean my room" are already done. Want to start something new?`, 3, true},
	}
	for i, tt := range tests {
		got := execTool(t, st, tt.tool, ``, execNow)
		if got != tt.want || st.CurrentStep != tt.current || agent.StepsDone(st) != tt.done {
			t.Errorf("%d %s: got %q, current %d, done %v; want %q, %d, %v",
				i, tt.tool, got, st.CurrentStep, agent.StepsDone(st), tt.want, tt.current, tt.done)
		}
	}
	if st.Task != "clean my room" {
		t.Errorf("got task %q after finishing, want it kept", st.Task)
	}
}

func TestExecuteMicrostepsReplacesTask(t *testing.T) {
	st := &memory.SessionState{}
	execTool(t, st, "create_microsteps", `{"task": "clean my room", "count": 5}`, execNow)
	execTool(t, st, "mark_step_complete", ``, execNow)
	execTool(t, st, "create_microsteps", `{"task": "reply to Sam", "count": 2}`, execNow)
	if st.Task != "reply to Sam" || len(st.Steps) != 2 || st.CurrentStep != 0 || agent.StepsDone(st) {
		t.Errorf("got task %q, %d steps, current %d; want reply to Sam, 2, 0", st.Task, len(st.Steps), st.CurrentStep)
	}
	for _, s := range st.Steps {
		if strings.Contains(s, "clean my room") {
			t.Errorf("step %q still names the old task", s)
		}
	}
}

func TestExecuteMicrostepsShape(t *testing.T) {
	for count := 1; count <= 10; count++ {
		st := &memory.SessionState{}
		execTool(t, st, "create_microsteps", fmt.Sprintf(`{"task": "file taxes", "count": %d}`, count), execNow)
		if len(st.Steps) != count {
			t.Errorf("count %d: got %d steps", count, len(st.Steps))
		}
		if !strings.Contains(st.Steps[0], `"file taxes"`) || !strings.Contains(st.Steps[count-1], `"file taxes"`) {
			t.Errorf("count %d: first and last steps %q, %q do not name the task", count, st.Steps[0], st.Steps[count-1])
		}
		for i := 1; i < count; i++ {
			if st.Steps[i] == st.Steps[i-1] {
				t.Errorf("count %d: steps %d and %d are both %q", count, i, i+1, st.Steps[i])
			}
		}
	}
}

func TestStepsDoneClampsStoredState(t *testing.T) {
	tests := []struct {
		st   memory.SessionState
		want bool
	}{
		{memory.SessionState{}, false},
		{memory.SessionState{Steps: []string{"a"}, CurrentStep: 0}, false},
		{memory.SessionState{Steps: []string{"a"}, CurrentStep: 1}, true},
		{memory.SessionState{Steps: []string{"a"}, CurrentStep: 7}, true},
		{memory.SessionState{Steps: []string{"a"}, CurrentStep: -2}, false},
		{memory.SessionState{CurrentStep: 3}, false},
	}
	for _, tt := range tests {
		if got := agent.StepsDone(&tt.st); got != tt.want {
			t.Errorf("StepsDone(%d of %d) = %v, want %v", tt.st.CurrentStep, len(tt.st.Steps), got, tt.want)
		}
	}
}

func TestExecuteCreateReminder(t *testing.T) {
	st := &memory.SessionState{}
	execTool(t, st, "create_reminder", `{"task": "take meds", "minutes": 15}`, execNow)
	execTool(t, st, "create_reminder", `{"task": "stretch", "minutes": 15}`, execNow)
	want := []memory.Checkin{
		{ID: fmt.Sprintf("r-%d-1", execNow.UnixNano()), Kind: "reminder", Message: "Reminder: take meds", Due: execNow.Add(15 * time.Minute)},
		{ID: fmt.Sprintf("r-%d-2", execNow.UnixNano()), Kind: "reminder", Message: "Reminder: stretch", Due: execNow.Add(15 * time.Minute)},
	}
	if !reflect.DeepEqual(st.Checkins, want) {
		t.Errorf("got %+v, want %+v", st.Checkins, want)
	}
}

func TestExecuteScheduleCheckinMessage(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*testing.T, *memory.SessionState)
		want  string
	}{
		{"no task", func(*testing.T, *memory.SessionState) {}, "Checking in: how are you doing right now?"},
		{"on a step", func(t *testing.T, st *memory.SessionState) {
			execTool(t, st, "create_microsteps", `{"task": "clean my room"}`, execNow)
			execTool(t, st, "mark_step_complete", ``, execNow)
		}, `Checking in: how's "clean my room" going? You were on step 2 of 3.`},
		{"all done", func(t *testing.T, st *memory.SessionState) {
			execTool(t, st, "create_microsteps", `{"task": "clean my room", "count": 1}`, execNow)
			execTool(t, st, "mark_step_complete", ``, execNow)
		}, `Checking in: how are you feeling after finishing "clean my room"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &memory.SessionState{}
			tt.setup(t, st)
			execTool(t, st, "schedule_checkin", `{"minutes": 3}`, execNow)
			c := st.Checkins[len(st.Checkins)-1]
			if c.Kind != "checkin" || c.Message != tt.want || !c.Due.Equal(execNow.Add(3*time.Minute)) || c.Fired {
				t.Errorf("got %+v, want a checkin %q due at %v", c, tt.want, execNow.Add(3*time.Minute))
			}
		})
	}
}

func TestExecutePendingLimit(t *testing.T) {
	st := &memory.SessionState{}
	for i := range 20 {
		tool, raw := "create_reminder", `{"task": "x", "minutes": 5}`
		if i%2 == 0 {
			tool, raw = "schedule_checkin", `{"minutes": 5}`
		}
		execTool(t, st, tool, raw, execNow)
	}
	before := len(st.Checkins)
	for _, call := range [][2]string{{"create_reminder", `{"task": "x", "minutes": 5}`}, {"schedule_checkin", `{"minutes": 5}`}} {
		_, err := tryExecTool(t, st, call[0], call[1], execNow)
		if !steady.Is(err, steady.Invalid) || !strings.Contains(err.Error(), "20 check-ins and reminders are already waiting") {
			t.Errorf("%s: got %v, want an Invalid error about 20 waiting", call[0], err)
		}
	}
	if len(st.Checkins) != before {
		t.Errorf("got %d check-ins after refused calls, want %d", len(st.Checkins), before)
	}
	// Once some have fired, there is room again.
	agent.DueCheckins(st, execNow.Add(5*time.Minute))
	execTool(t, st, "create_reminder", `{"task": "x", "minutes": 5}`, execNow.Add(5*time.Minute))
}

func TestDueCheckins(t *testing.T) {
	st := &memory.SessionState{}
	execTool(t, st, "schedule_checkin", `{"minutes": 5}`, execNow)
	execTool(t, st, "create_reminder", `{"task": "drink water", "minutes": 3}`, execNow)
	execTool(t, st, "schedule_checkin", `{"minutes": 10}`, execNow)

	tests := []struct {
		at       time.Time
		messages []string
	}{
		{execNow.Add(3*time.Minute - time.Nanosecond), nil},
		{execNow.Add(5 * time.Minute), []string{"Reminder: drink water", "Checking in: how are you doing right now?"}},
		{execNow.Add(5 * time.Minute), nil},
		{execNow.Add(time.Hour), []string{"Checking in: how are you doing right now?"}},
	}
	for i, tt := range tests {
		due := agent.DueCheckins(st, tt.at)
		var got []string
		for _, c := range due {
			got = append(got, c.Message)
			if !c.Fired {
				t.Errorf("%d: returned %s not marked fired", i, c.ID)
			}
		}
		if !reflect.DeepEqual(got, tt.messages) {
			t.Errorf("%d at %v: got %q, want %q", i, tt.at.Sub(execNow), got, tt.messages)
		}
	}
	if !st.LastCheckin.Equal(execNow.Add(time.Hour)) {
		t.Errorf("got LastCheckin %v, want %v", st.LastCheckin, execNow.Add(time.Hour))
	}
}

func TestDueCheckinsExactlyAtDue(t *testing.T) {
	st := &memory.SessionState{}
	execTool(t, st, "create_reminder", `{"task": "call back", "minutes": 7}`, execNow)
	if due := agent.DueCheckins(st, execNow.Add(7*time.Minute-time.Nanosecond)); len(due) != 0 {
		t.Errorf("got %d due a nanosecond early, want 0", len(due))
	}
	if !st.LastCheckin.IsZero() {
		t.Errorf("got LastCheckin %v with nothing fired, want zero", st.LastCheckin)
	}
	if due := agent.DueCheckins(st, execNow.Add(7*time.Minute)); len(due) != 1 {
		t.Errorf("got %d due exactly at Due, want 1", len(due))
	}
}

func TestDueCheckinsDropsOldFired(t *testing.T) {
	st := &memory.SessionState{}
	execTool(t, st, "create_reminder", `{"task": "a", "minutes": 1}`, execNow)
	execTool(t, st, "create_reminder", `{"task": "b", "minutes": 1440}`, execNow)
	agent.DueCheckins(st, execNow.Add(time.Minute))
	if len(st.Checkins) != 2 {
		t.Fatalf("got %d check-ins, want 2", len(st.Checkins))
	}
	due := agent.DueCheckins(st, execNow.Add(24*time.Hour+2*time.Minute))
	if len(due) != 1 || due[0].Message != "Reminder: b" {
		t.Errorf("got %+v, want reminder b due", due)
	}
	if len(st.Checkins) != 1 || st.Checkins[0].Message != "Reminder: b" {
		t.Errorf("got %+v, want only b kept", st.Checkins)
	}
}

func TestTimeSinceLastCheckin(t *testing.T) {
	tests := []struct {
		name string
		st   memory.SessionState
		want string
	}{
		{"none", memory.SessionState{}, "No check-in yet this session."},
		{"just now", memory.SessionState{LastCheckin: execNow.Add(-30 * time.Second)}, "The last check-in was just now."},
		{"minutes", memory.SessionState{LastCheckin: execNow.Add(-7*time.Minute - 59*time.Second)}, "It's been 7 minutes since the last check-in."},
		{"hours", memory.SessionState{LastCheckin: execNow.Add(-61 * time.Minute)}, "It's been 1 hour and 1 minute since the last check-in."},
		{"future", memory.SessionState{LastCheckin: execNow.Add(10 * time.Minute)}, "The last check-in was just now."},
		{"next scheduled", memory.SessionState{Checkins: []memory.Checkin{
			{Kind: "reminder", Due: execNow.Add(time.Minute)},
			{Kind: "checkin", Due: execNow.Add(9 * time.Minute)},
			{Kind: "checkin", Due: execNow.Add(2*time.Minute + time.Second)},
			{Kind: "checkin", Due: execNow.Add(-time.Hour), Fired: true},
		}}, "No check-in yet this session. Next check-in in 3 minutes."},
		{"next overdue", memory.SessionState{LastCheckin: execNow.Add(-5 * time.Minute), Checkins: []memory.Checkin{
			{Kind: "checkin", Due: execNow},
		}}, "It's been 5 minutes since the last check-in. A check-in is due now."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := execTool(t, &tt.st, "get_time_since_last_checkin", ``, execNow)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if strings.ContainsAny(got, "−") || regexp.MustCompile(`-\d`).MatchString(got) {
				t.Errorf("got %q, a negative time", got)
			}
		})
	}
}

func TestExecuteLogWinKeepsLast100(t *testing.T) {
	st := &memory.SessionState{}
	for i := range 105 {
		at := execNow.Add(time.Duration(i) * time.Minute)
		execTool(t, st, "log_micro_win", fmt.Sprintf(`{"description": "win %d", "category": "focus"}`, i), at)
	}
	if len(st.Wins) != 100 {
		t.Fatalf("got %d wins, want 100", len(st.Wins))
	}
	first, last := st.Wins[0], st.Wins[99]
	if first.Description != "win 5" || last != (memory.Win{Description: "win 104", Category: "focus", At: execNow.Add(104 * time.Minute)}) {
		t.Errorf("got first %+v, last %+v; want win 5 … win 104", first, last)
	}
}

func TestExecuteSessionsShareNothing(t *testing.T) {
	a, b := &memory.SessionState{SessionID: "a"}, &memory.SessionState{SessionID: "b"}
	execTool(t, a, "create_microsteps", `{"task": "clean my room"}`, execNow)
	execTool(t, a, "log_micro_win", `{"description": "started"}`, execNow)
	execTool(t, a, "create_reminder", `{"task": "x", "minutes": 1}`, execNow)
	bBefore := copyState(t, b)
	if got := execTool(t, b, "get_current_step", ``, execNow); strings.Contains(got, "clean my room") {
		t.Errorf("session b sees a's task: %q", got)
	}
	agent.DueCheckins(a, execNow.Add(time.Hour))
	if !reflect.DeepEqual(b, bBefore) {
		t.Errorf("session b changed by a's calls: %+v", b)
	}
	// Same calls on b build equal but separate state: changing one never
	// shows in the other.
	execTool(t, b, "create_microsteps", `{"task": "clean my room"}`, execNow)
	a.Steps[0] = "changed"
	if b.Steps[0] == "changed" {
		t.Error("sessions share the steps' backing array")
	}
}

func TestExecuteIsDeterministic(t *testing.T) {
	// The caller retries Execute on a fresh copy of the state after a
	// conflict; both attempts must write the same state.
	calls := [][2]string{
		{"create_microsteps", `{"task": "clean my room", "count": 4}`},
		{"schedule_checkin", `{"minutes": 3}`},
		{"create_reminder", `{"task": "x", "minutes": 2}`},
		{"create_reminder", `{"task": "x", "minutes": 2}`},
		{"log_micro_win", `{"description": "started"}`},
		{"mark_step_complete", ``},
	}
	a, b := &memory.SessionState{}, &memory.SessionState{}
	for _, st := range []*memory.SessionState{a, b} {
		for _, c := range calls {
			execTool(t, st, c[0], c[1], execNow)
		}
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same calls gave different states:\n%+v\n%+v", a, b)
	}
}

func TestExecuteRefusesBadInput(t *testing.T) {
	tl := mustTool(t, "schedule_checkin")
	tests := []struct {
		name string
		st   *memory.SessionState
		tool agent.Tool
		args agent.Args
	}{
		{"unknown tool", &memory.SessionState{}, agent.Tool{Name: "nope"}, nil},
		{"nil state", nil, tl, agent.Args{"minutes": 3}},
		{"missing argument", &memory.SessionState{}, tl, nil},
		{"out of range", &memory.SessionState{}, tl, agent.Args{"minutes": 1000}},
		{"wrong type", &memory.SessionState{}, tl, agent.Args{"minutes": "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := agent.Execute(tt.st, tt.tool, tt.args, execNow)
			if !steady.Is(err, steady.Invalid) {
				t.Errorf("got %q, %v; want an Invalid error", out, err)
			}
			if tt.st != nil && len(tt.st.Checkins) != 0 {
				t.Errorf("state changed on error: %+v", tt.st)
			}
		})
	}
}

func TestExecuteAcceptsGoArgs(t *testing.T) {
	// Args built in Go rather than by Validate are checked and defaulted.
	st := &memory.SessionState{}
	got, err := agent.Execute(st, mustTool(t, "log_win"), agent.Args{"description": "tidied desk"}, execNow)
	if err != nil || got != "Win logged: tidied desk. That counts!" {
		t.Fatalf("got %q, %v", got, err)
	}
	if want := (memory.Win{Description: "tidied desk", Category: "general", At: execNow}); len(st.Wins) != 1 || st.Wins[0] != want {
		t.Errorf("got %+v, want [%+v]", st.Wins, want)
	}
}
