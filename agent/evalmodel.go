package agent

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/memory"
)

// EvalModel answers evaluation examples with the agent as it runs in
// production: each example is the first user turn of a fresh session, for
// userID. When the example names the task the user is working on, the
// session starts with that task broken into steps, as it would be after
// create_microsteps, so "done with that step" has a step to mark.
func (a *Agent) EvalModel(userID string) eval.Model {
	return func(ctx context.Context, ex eval.Example) (eval.Output, error) {
		sessionID := "eval-" + clipBytes(sanitiseID(ex.ID), memory.MaxIDBytes-5)
		if ex.Task != "" {
			if err := a.presetTask(ctx, userID, sessionID, ex.Task); err != nil {
				return eval.Output{}, err
			}
		}
		s, _, err := a.Start(ctx, userID, sessionID)
		if err != nil {
			return eval.Output{}, err
		}
		r, err := a.Turn(ctx, s, ex.Input)
		if err != nil {
			return eval.Output{}, err
		}
		return evalOutput(r), nil
	}
}

func (a *Agent) presetTask(ctx context.Context, userID, sessionID, task string) error {
	t, _ := LookupTool("create_microsteps")
	now := a.now()
	_, err := a.memory.UpdateSession(ctx, userID, sessionID, func(st *memory.SessionState) error {
		_, err := Execute(st, t, Args{"task": clipBytes(task, memory.MaxTaskBytes), "count": 3}, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("agent: setting up the example's task: %w", err)
	}
	return nil
}

func evalOutput(r Reply) eval.Output {
	out := eval.Output{Response: r.Text}
	for _, c := range r.ToolCalls {
		var args map[string]any
		_ = json.Unmarshal(c.Args, &args) // the bridge made them; a failure leaves them out
		out.ToolCalls = append(out.ToolCalls, eval.ToolCall{Name: c.Name, Args: args, Result: c.Result})
	}
	return out
}

// sanitiseID keeps the characters a session id may hold.
func sanitiseID(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "example"
	}
	return string(b)
}
