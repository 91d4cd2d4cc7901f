package agent

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steady-voice/steady/llm"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/observe"
)

// Ending is what closing a session produced.
type Ending struct {
	Summary    Summary           `json:"summary"`
	Reflection memory.Reflection `json:"reflection"`
}

// End closes the session: what is still open is judged (no reply means
// abandoned), the session's summary is traced, and a reflection — from the
// model when there is one, else computed from the judged interventions —
// is kept in memory for the next sessions' prompts.
func (a *Agent) End(ctx context.Context, s *Session) (Ending, error) {
	s.turnMu.Lock()
	defer s.turnMu.Unlock()
	ctx = observe.WithAttributes(ctx, map[string]any{"user_id": s.UserID, "session_id": s.ID})
	return a.endOp(ctx, s)
}

func (a *Agent) end(ctx context.Context, s *Session) (Ending, error) {
	a.judge(ctx, s, s.atEnd())
	sum := s.summary(a.now())
	insight, err := a.insight(ctx, s, sum)
	if err != nil {
		return Ending{Summary: sum}, err
	}
	r, err := a.memory.Reflect(ctx, memory.Reflection{UserID: s.UserID, SessionID: s.ID,
		Insight: clipBytes(insight, memory.MaxInsightBytes), Summary: clipRunes(describe(sum), memory.MaxSummaryRunes)})
	return Ending{Summary: sum, Reflection: r}, err
}

// summary is the tracker's counts plus which tools were judged to help.
func (s *Session) summary(now time.Time) Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := s.tracker.summary(now)
	sum.UserID, sum.SessionID = s.UserID, s.ID
	for _, p := range s.pending {
		list := &sum.NotHelped
		if p.outcome.Successful() {
			list = &sum.Helped
		}
		if !slices.Contains(*list, p.tool) {
			*list = append(*list, p.tool)
		}
	}
	sum.NotHelped = slices.DeleteFunc(sum.NotHelped, func(t string) bool { return slices.Contains(sum.Helped, t) })
	return sum
}

// describe is the summary in one line, as kept with the reflection.
func describe(sum Summary) string {
	names := make([]string, 0, len(sum.Tools))
	for t, n := range sum.Tools {
		names = append(names, fmt.Sprintf("%s×%d", t, n))
	}
	slices.Sort(names)
	return fmt.Sprintf("%s, %d turns, %d tool calls (%s), %d steps and %d tasks done, effectiveness %.2f",
		sum.Duration.Round(time.Second), sum.Turns, sum.ToolCalls, strings.Join(names, ", "),
		sum.StepsCompleted, sum.TasksCompleted, sum.Effectiveness)
}

// insight is the reflection's one actionable sentence or two.
func (a *Agent) insight(ctx context.Context, s *Session, sum Summary) (string, error) {
	if a.model == nil || sum.Turns == 0 {
		return computedInsight(sum), nil
	}
	prev, err := a.memory.Reflections(ctx, s.UserID, 3)
	if err != nil {
		return "", err
	}
	resp, err := a.model.Generate(ctx, llm.Request{System: reflectionPrompt(prev),
		Messages: []llm.Message{{Role: llm.User, Text: transcript(s.messages(), 20)}}})
	if err != nil || strings.TrimSpace(resp.Text) == "" {
		// The session is over either way: a computed insight is better
		// than none, and the model's failure is in the trace.
		return computedInsight(sum), nil
	}
	return strings.TrimSpace(resp.Text), nil
}

func reflectionPrompt(prev []memory.Reflection) string {
	var b strings.Builder
	b.WriteString("You review a support session between Steady and a user with ADHD or autism. " +
		"Write ONE actionable insight of one or two sentences about what helps this user, " +
		"to guide the next session. No preamble.")
	if len(prev) > 0 {
		b.WriteString("\n\nEarlier insights:")
		for _, r := range prev {
			b.WriteString("\n- " + r.Insight)
		}
	}
	return b.String()
}

// transcript is the last n messages as plain lines.
func transcript(ms []llm.Message, n int) string {
	ms = ms[max(0, len(ms)-n):]
	var b strings.Builder
	for _, m := range ms {
		switch {
		case m.Text != "":
			fmt.Fprintf(&b, "%s: %s\n", m.Role, m.Text)
		case len(m.ToolCalls) > 0:
			for _, c := range m.ToolCalls {
				fmt.Fprintf(&b, "assistant used %s %s\n", c.Name, c.Args)
			}
		}
	}
	return b.String()
}

// computedInsight draws the lesson from the judged interventions when no
// model is there to write one.
func computedInsight(sum Summary) string {
	helped, not := toolPhrases(sum.Helped), toolPhrases(sum.NotHelped)
	switch {
	case helped != "" && not != "":
		return fmt.Sprintf("%s helped this user get going, while %s did not land; lead with %s next time.",
			capitalise(helped), not, toolPhrase(sum.Helped[0]))
	case helped != "":
		return fmt.Sprintf("%s helped this user get going; start there next time things get hard.", capitalise(helped))
	case not != "":
		return fmt.Sprintf("%s did not help this time; next time offer a different kind of support sooner.", capitalise(not))
	}
	return "No support tool was needed this session; a short check-in is enough to start with."
}

var toolPhrasesByName = map[string]string{
	"create_microsteps": "breaking the task into small steps", "get_current_step": "naming the current step",
	"mark_step_complete": "ticking off steps", "get_current_time": "a time check", "create_reminder": "a reminder",
	"schedule_checkin": "a scheduled check-in", "get_time_since_last_checkin": "a time check",
	"log_micro_win": "celebrating a small win", "start_breathing_exercise": "a breathing exercise",
	"sensory_check": "a sensory check", "grounding_exercise": "grounding", "suggest_break": "a short break",
	"reframe_thought": "reframing the thought",
}

func toolPhrase(t string) string {
	if p, ok := toolPhrasesByName[t]; ok {
		return p
	}
	return strings.ReplaceAll(t, "_", " ")
}

func toolPhrases(tools []string) string {
	ps := make([]string, len(tools))
	for i, t := range tools {
		ps[i] = toolPhrase(t)
	}
	switch len(ps) {
	case 0:
		return ""
	case 1:
		return ps[0]
	}
	return strings.Join(ps[:len(ps)-1], ", ") + " and " + ps[len(ps)-1]
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
