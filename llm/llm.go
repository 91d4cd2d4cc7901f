// Package llm holds Steady's text model backends — Gemini and any
// OpenAI-compatible server — behind one small interface, with function
// calling. It knows nothing of Steady's tools or memory: callers describe
// tools as JSON Schema and run them themselves.
package llm

import (
	"context"
	"encoding/json"
)

// Model generates the next assistant message of a conversation.
type Model interface {
	// Generate sends the conversation and the tools the model may call, and
	// returns the model's reply: text, tool calls, or both. Errors name the
	// provider and, for HTTP failures, the status; they never contain the
	// API key. Cancelling ctx aborts the request.
	Generate(ctx context.Context, req Request) (Response, error)
	// Name identifies the provider and model, e.g. "gemini/gemini-2.5-flash".
	Name() string
}

// Role is who said a message.
type Role string

const (
	User      Role = "user"
	Assistant Role = "assistant"
	// ToolRole messages carry the results of the assistant's tool calls.
	ToolRole Role = "tool"
)

// Message is one turn of the conversation.
type Message struct {
	Role Role   `json:"role"`
	Text string `json:"text,omitempty"`
	// ToolCalls are the calls an Assistant message made.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// Results answer the ToolCalls of the preceding Assistant message
	// (Role ToolRole).
	Results []ToolResult `json:"results,omitempty"`
}

// Tool declares a function the model may call.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Parameters is a JSON Schema object: {"type": "object",
	// "properties": {...}, "required": [...]}.
	Parameters map[string]any `json:"parameters"`
}

// ToolCall is the model asking to run a tool.
type ToolCall struct {
	ID   string          `json:"id"` // provider's id; generated when the provider gives none
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"` // a JSON object
	// Signature is opaque provider state to send back with the call
	// (Gemini's thought signature, which Gemini 3 models require on the
	// next turn). Keep it when the call goes into the history.
	Signature []byte `json:"signature,omitempty"`
}

// ToolResult is what a tool returned, sent back to the model.
type ToolResult struct {
	CallID string `json:"call_id"`
	Name   string `json:"name"`
	Result string `json:"result"`
	// IsError marks a result that reports a failure (e.g. bad arguments).
	IsError bool `json:"is_error,omitempty"`
}

// Request is one generation.
type Request struct {
	System      string    // system instruction
	Messages    []Message // oldest first
	Tools       []Tool
	Temperature *float64 // nil: the provider's default
	MaxTokens   int      // 0: the provider's default
}

// Response is the model's reply.
type Response struct {
	Text      string     `json:"text,omitempty"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	Usage     Usage      `json:"usage"`
	// FinishReason as the provider reports it ("stop", "tool_calls",
	// "STOP", "MAX_TOKENS", …).
	FinishReason string `json:"finish_reason,omitempty"`
}

// Usage counts tokens, as the provider reports them.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}
