package agent

import (
	"maps"
	"time"

	"github.com/steady-voice/steady/memory"
)

// tracker counts what happened in a session, as the original's session
// tracker did, for the end-of-session summary.
type tracker struct {
	started     time.Time
	tools       map[string]int
	calls       int
	steps       int
	tasks       int
	emotional   int
	checkins    int
	userTurns   int
	interrupted bool
}

func newTracker(now time.Time) tracker {
	return tracker{started: now, tools: map[string]int{}}
}

func (t *tracker) tool(tl Tool, result string, st memory.SessionState) {
	t.calls++
	t.tools[tl.Name]++
	switch {
	case tl.Name == "mark_step_complete" && st.Task != "":
		t.steps++
		if StepsDone(&st) {
			t.tasks++
		}
	case tl.Name == "schedule_checkin":
		t.checkins++
	case tl.Category == memory.Emotional:
		t.emotional++
	}
}

// Summary is what a session did, computed at its end.
type Summary struct {
	UserID                 string         `json:"user_id"`
	SessionID              string         `json:"session_id"`
	Duration               time.Duration  `json:"duration_ns"`
	Turns                  int            `json:"turns"`
	ToolCalls              int            `json:"tool_calls"`
	Tools                  map[string]int `json:"tools,omitempty"`
	StepsCompleted         int            `json:"steps_completed"`
	TasksCompleted         int            `json:"tasks_completed"`
	EmotionalInterventions int            `json:"emotional_interventions"`
	CheckinsScheduled      int            `json:"checkins_scheduled"`
	// Effectiveness is 0–1 with the original's weights: a finished task 1,
	// a step 0.3, an emotional intervention 0.2, a check-in 0.1, per tool
	// call.
	Effectiveness float64 `json:"effectiveness"`
	// Helped and NotHelped list the tools whose interventions this session
	// were judged to help, and not to.
	Helped    []string `json:"helped,omitempty"`
	NotHelped []string `json:"not_helped,omitempty"`
}

func (t *tracker) summary(now time.Time) Summary {
	s := Summary{
		Duration: now.Sub(t.started), Turns: t.userTurns, ToolCalls: t.calls, Tools: maps.Clone(t.tools),
		StepsCompleted: t.steps, TasksCompleted: t.tasks, EmotionalInterventions: t.emotional,
		CheckinsScheduled: t.checkins,
	}
	if t.calls > 0 {
		score := float64(t.tasks)*1.0 + float64(t.steps)*0.3 + float64(t.emotional)*0.2 + float64(t.checkins)*0.1
		s.Effectiveness = min(1, score/float64(t.calls))
	}
	return s
}
