package agent

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent/data"
	"github.com/steady-voice/steady/memory"
)

// The offline policy: recognise the situation from labelled examples, pick
// among the tools that fit it with the per-user bandit, run the tool, and
// say its result kindly. It needs no model and no network.

// minSituation is the least similarity to the closest labelled example for
// the situation to count; below it the utterance is treated as small talk.
const minSituation = 0.35

// evidenceK is how many of the user's past interventions in similar
// situations the bandit looks at.
const evidenceK = 30

func (a *Agent) offline(ctx context.Context, s *Session, state pendingState, text string, vec []float32, h heard, evidence []memory.Match, r *Reply) error {
	st, err := state.wait()
	if err != nil {
		return err
	}
	r.Situation = a.situation(text, vec, st)
	if h.reply == replyReEngaged && len(h.judged) > 0 && !actionable[r.Situation] {
		// "That helped, I'm back on it": nothing to fix, so no new tool.
		r.Text = encouragement
		return nil
	}
	fits := fitting(r.Situation, st)
	retry := h.reply == replyStruggling && len(h.judged) > 0
	if retry {
		fits = without(fits, h.judged) // try something else
	}
	if len(fits) == 0 {
		r.Text = smallTalk(text)
		return nil
	}
	tool := explicitTool(text)
	if !slices.Contains(fits, tool) {
		tool = a.pick(s, r.Situation, fits, evidence, retry)
	}
	args, err := a.argsFor(ctx, s, tool, text, vec, st)
	if err != nil {
		return err
	}
	res, err := a.bridge.handleFrom(ctx, s, st, tool, args)
	switch {
	case steady.ErrorCode(err) == steady.Invalid:
		// The tool refused (e.g. too many check-ins pending): say so
		// rather than fail the turn.
		r.ToolCalls = append(r.ToolCalls, res)
		r.Text = "I couldn't do that just now: " + res.Error
		return nil
	case err != nil:
		return err
	}
	r.ToolCalls = append(r.ToolCalls, res)
	r.Text = compose(r.Situation, res.Result)
	return nil
}

// situation names what the utterance shows: explicit requests first (they
// leave no doubt), then the nearest labelled examples.
func (a *Agent) situation(text string, vec []float32, st memory.SessionState) string {
	if cue := explicitSituation(text, st); cue != "" {
		return cue
	}
	v := a.situations.classify(text, vec)
	if v.Label == "" || v.Similarity < minSituation {
		return data.NoTool
	}
	return v.Label
}

// actionable situations ask for something to be done even when the reply
// also sounds as if the last thing helped: "that worked, remind me in 10",
// and any sign of distress — reading "I'm so tired my eyes keep closing" as
// "back on it" and cheering would dismiss someone who needs help, which is
// worse than offering a tool to someone who is fine.
var actionable = map[string]bool{
	"step_done": true, "task_done": true, "whats_next": true, "time_question": true,
	"reminder_request": true, "checkin_request": true, "new_task": true, "task_paralysis": true,
	"overwhelm": true, "anxiety": true, "sensory_overload": true, "fatigue": true,
	"negative_self_talk": true, "distracted": true,
}

// without removes tools from fits, unless nothing would be left.
func without(fits, tools []string) []string {
	var kept []string
	for _, t := range fits {
		if !slices.Contains(tools, t) {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		return fits
	}
	return kept
}

// fitting lists the tools that fit the situation and the session: stepping
// through a task needs a task.
func fitting(situation string, st memory.SessionState) []string {
	fits := data.Fits(situation)
	if st.Task != "" && !StepsDone(&st) {
		return fits
	}
	var kept []string
	for _, t := range fits {
		if t != "mark_step_complete" && t != "get_current_step" {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		switch situation {
		case "step_done":
			return []string{"log_micro_win"}
		case "whats_next", "distracted":
			return []string{"create_microsteps"}
		}
	}
	return kept
}

// pick asks the policy, on the session's random stream; retry says the
// user has just told us the previous tool did not help.
func (a *Agent) pick(s *Session, situation string, fits []string, evidence []memory.Match, retry bool) string {
	if len(fits) == 1 {
		return fits[0]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return a.policy.Choose(Choice{UserID: s.UserID, Situation: situation, Fits: fits, Evidence: evidence, Retry: retry, Rand: s.rng})
}

// argsFor fills the chosen tool's arguments from what the user said, the
// session and the profile.
func (a *Agent) argsFor(ctx context.Context, s *Session, tool, text string, vec []float32, st memory.SessionState) (json.RawMessage, error) {
	args := map[string]any{}
	switch tool {
	case "create_microsteps":
		args["task"] = taskFrom(text, st.Task)
	case "create_reminder":
		args["task"] = reminderTask(text, st.Task)
		args["minutes"] = minutesIn(text, 10, 1440)
	case "schedule_checkin":
		m, err := a.checkinMinutes(ctx, s.UserID, text)
		if err != nil {
			return nil, err
		}
		args["minutes"] = m
	case "log_micro_win":
		args["description"] = winFrom(text)
	case "reframe_thought":
		args["thought_type"] = a.thoughtType(text, vec)
	case "suggest_break":
		args["duration_minutes"] = minutesIn(text, 5, 60)
	case "grounding_exercise":
		args["technique"] = "5-4-3-2-1"
	}
	return json.Marshal(args)
}

func (a *Agent) checkinMinutes(ctx context.Context, userID, text string) (int, error) {
	if m, ok := minutesSaid(text); ok {
		return min(max(m, 1), 120), nil
	}
	p, err := a.memory.Profile(ctx, userID)
	switch {
	case err == nil && p.PreferredCheckinInterval > 0:
		return min(p.PreferredCheckinInterval, 120), nil
	case err == nil || isNotFound(err):
		return memory.DefaultCheckinInterval, nil
	}
	return 0, err
}

func (a *Agent) thoughtType(text string, vec []float32) string {
	if v := a.thoughts.classify(text, vec); v.Label != "" {
		return v.Label
	}
	return "overwhelm"
}
