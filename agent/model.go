package agent

import (
	"context"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/llm"
)

// chatInput is a model call as the trace shows it.
type chatInput struct {
	req   llm.Request
	Model string `json:"model"`
	Turns int    `json:"messages"`
	Last  string `json:"last_message"`
}

// withModel runs a turn on the text model: the model sees the session's
// system prompt, this utterance's dynamic context and the conversation, and
// may call tools through the bridge; the loop is bounded, and the last step
// offers no tools so the model must answer in words.
func (a *Agent) withModel(ctx context.Context, s *Session, dynamic string, r *Reply) error {
	system := s.system
	if dynamic != "" {
		system += "\n\n## Past situations like this one\n" + dynamic
	}
	tools := LLMTools()
	for step := 0; ; step++ {
		req := llm.Request{System: system, Messages: s.messages()}
		if step < a.maxSteps {
			req.Tools = tools
		}
		resp, err := a.chatOp(ctx, chatInput{req: req, Model: a.model.Name(), Turns: len(req.Messages), Last: lastText(req.Messages)})
		if err != nil {
			return err
		}
		if len(resp.ToolCalls) == 0 || step >= a.maxSteps {
			r.Text = resp.Text
			return nil
		}
		s.Remember(llm.Message{Role: llm.Assistant, Text: resp.Text, ToolCalls: resp.ToolCalls})
		results := make([]llm.ToolResult, 0, len(resp.ToolCalls))
		for _, c := range resp.ToolCalls {
			res, err := a.bridge.handle(ctx, s, c.Name, c.Args, c.ID)
			if err != nil && steady.ErrorCode(err) != steady.Invalid {
				return err // the store failed, not the model's call
			}
			r.ToolCalls = append(r.ToolCalls, res)
			results = append(results, llm.ToolResult{CallID: c.ID, Name: c.Name, Result: res.Result, IsError: res.Error != ""})
		}
		s.Remember(llm.Message{Role: llm.ToolRole, Results: results})
	}
}

func lastText(ms []llm.Message) string {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Text != "" {
			return ms[i].Text
		}
	}
	return ""
}
