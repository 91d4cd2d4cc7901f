package agent

import (
	"context"

	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/observe"
)

// What happens after an intervention decides its outcome: the user's next
// utterance (classified as re-engaged, distracted or still struggling),
// later progress on the task in the same session, or the session ending
// with no reply. Each decision is judged by the effectiveness scorer, and
// the score goes both ways: onto the tool call in the trace store (through
// the ScoreSink) and onto the intervention in memory, where the policy and
// the prompt examples learn from it.

// ScoreSink keeps scores as feedback on a finished call of the
// observability layer (e.g. the trace store's feedback). It must not block
// for long: it runs on the turn's path.
type ScoreSink func(ctx context.Context, callID string, scores map[string]float64) error

// maxPending bounds the interventions a session watches.
const maxPending = 50

// Reply labels of the outcome classifier.
const (
	replyReEngaged  = "re_engaged"
	replyDistracted = "distracted"
	replyStruggling = "struggling"
)

// minReplyConfidence is the least vote share for a reply label to count;
// below it the reply says nothing clear about the intervention.
const minReplyConfidence = 0.5

// rank orders outcomes by how much they say the intervention helped; an
// outcome only ever moves up, so a later "still struggling" cannot undo a
// finished task.
func rank(o memory.Outcome) int {
	switch o {
	case memory.TaskCompleted:
		return 4
	case memory.ReEngaged:
		return 3
	case memory.TaskProgress:
		return 2
	default:
		return 1
	}
}

func (s *Session) watch(p *pendingIntervention) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.turn = s.turn
	s.pending = append(s.pending, p)
	if len(s.pending) > maxPending {
		s.pending = s.pending[len(s.pending)-maxPending:]
	}
}

// afterTool notes what the tool says about earlier interventions: a step
// marked done or a win logged means the user got going.
func (s *Session) afterTool(t Tool, result string, st memory.SessionState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tracker.tool(t, result, st)
	if st.Task != "" {
		s.task = st.Task
	}
}

// progressOutcome is what a tool call says about the session's earlier
// interventions, or "" when it says nothing.
func progressOutcome(t Tool, st memory.SessionState) memory.Outcome {
	switch t.Name {
	case "mark_step_complete":
		if StepsDone(&st) {
			return memory.TaskCompleted
		}
		return memory.TaskProgress
	case "log_micro_win":
		return memory.TaskCompleted
	}
	return ""
}

// decision is an outcome decided for a watched intervention.
type decision struct {
	p       *pendingIntervention
	outcome memory.Outcome
}

// byReply decides the outcome of the interventions of the previous turn
// from the user's reply.
func (s *Session) byReply(label string) []decision {
	outcome := map[string]memory.Outcome{
		replyReEngaged: memory.ReEngaged, replyDistracted: memory.Distracted, replyStruggling: memory.InterventionApplied,
	}[label]
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []decision
	for _, p := range s.pending {
		if p.judged || p.turn != s.turn-1 || outcome == "" {
			continue
		}
		out = append(out, decision{p, outcome})
	}
	return out
}

// byProgress upgrades the session's interventions after a step or task was
// done: task tools to the progress made, the rest (not yet judged) to
// re-engaged — the user is moving again.
func (s *Session) byProgress(progress memory.Outcome, current string) []decision {
	if progress == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []decision
	for _, p := range s.pending {
		o := progress
		if p.category != memory.Task {
			if p.judged {
				continue
			}
			o = memory.ReEngaged
		}
		if p.id == current || (p.judged && rank(o) <= rank(p.outcome)) {
			continue
		}
		out = append(out, decision{p, o})
	}
	return out
}

// atEnd decides what is still open when the session ends: an intervention
// of the last turn got no reply (abandoned); an earlier one got a reply
// that said nothing clear, so it was applied without a visible effect.
func (s *Session) atEnd() []decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []decision
	for _, p := range s.pending {
		switch {
		case p.judged:
		case p.turn == s.turn:
			out = append(out, decision{p, memory.Abandoned})
		default:
			out = append(out, decision{p, memory.InterventionApplied})
		}
	}
	return out
}

// judge scores decisions with the effectiveness scorer and sends the scores
// to both layers.
func (a *Agent) judge(ctx context.Context, s *Session, ds []decision) { a.judgeScores(ctx, s, ds) }

// judgeScores is judge, returning the scores by intervention id: the
// writes to memory are in the background, and a turn that just judged must
// not depend on whether they have landed.
func (a *Agent) judgeScores(ctx context.Context, s *Session, ds []decision) map[string]float64 {
	scores := map[string]float64{}
	for _, d := range ds {
		if score, ok := a.judgeOne(ctx, s, d); ok {
			scores[d.p.id] = score
		}
	}
	return scores
}

type judgement struct {
	Intervention string         `json:"intervention_id"`
	Tool         string         `json:"tool"`
	Outcome      memory.Outcome `json:"outcome"`
	Call         string         `json:"call_id,omitempty"` // the tool call judged
	reply        string
	userID       string
}

func (a *Agent) judgeOne(ctx context.Context, s *Session, d decision) (float64, bool) {
	ctx = observe.WithAttributes(ctx, map[string]any{"user_id": s.UserID, "session_id": s.ID,
		"tool_name": d.p.tool, "outcome": string(d.outcome)})
	// A failed feedback write is in the judge's trace; the outcome in
	// memory is written regardless, so nothing here can fail the turn.
	res, _ := a.judgeOp(ctx, judgement{d.p.id, d.p.tool, d.outcome, d.p.callID, d.p.reply, s.UserID})
	s.mu.Lock()
	d.p.outcome, d.p.judged = d.outcome, true
	s.mu.Unlock()
	score, ok := res[eval.ScoreKey].(float64)
	return score, ok
}

// score is the judge op: the effectiveness scorer's verdict, written onto
// the intervention in memory and as feedback on its tool call.
func (a *Agent) score(ctx context.Context, j judgement) (eval.Result, error) {
	res, err := eval.InterventionEffectiveness{}.Score(ctx, eval.Example{},
		eval.Output{Response: j.reply, Outcome: string(j.Outcome), ToolCalls: []eval.ToolCall{{Name: j.Tool}}})
	if err != nil {
		return nil, err
	}
	score, _ := res[eval.ScoreKey].(float64)
	a.recorder.SetOutcome(j.userID, j.Intervention, j.Outcome, map[string]float64{ScoreName: score})
	if a.scores == nil || j.Call == "" {
		return res, nil
	}
	fb := map[string]float64{}
	for k, v := range res.Flatten() {
		fb[ScoreName+"."+k] = v
	}
	return res, a.scores(ctx, j.Call, fb)
}
