package llm_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

const testOpenAIKey = "sk-test-4f9c2a7e1b3d5f60"

// chatServer fakes POST /v1/chat/completions in the wire format OpenAI
// documents (https://platform.openai.com/docs/api-reference/chat/create).
// It decodes requests strictly, so a field the SDK did not send, or sent in
// another shape, fails the request, and it enforces the API's rules on
// tools and tool messages. Each request takes the next scripted reply.
type chatServer struct {
	key string // bearer key it accepts; "" wants no Authorization header

	mu       sync.Mutex
	script   []reply
	requests []chatRequest
	srv      *httptest.Server
}

type reply struct {
	status int
	body   string
}

// chatRequest is the documented request body, as far as the backend uses
// it, plus the auth header seen.
type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	Tools               []chatTool      `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls"`
	Temperature         *float64        `json:"temperature"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Stream              *bool           `json:"stream"`
	Authorization       string          `json:"-"`
}

// chatMessage takes content in its string form only: the array form is
// documented too, but the backend never sends it.
type chatMessage struct {
	Role       string         `json:"role"`
	Content    *string        `json:"content,omitempty"`
	Name       *string        `json:"name,omitempty"`
	ToolCalls  []chatToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type chatToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type chatTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string         `json:"name"`
		Description string         `json:"description,omitempty"`
		Parameters  map[string]any `json:"parameters,omitempty"`
		Strict      *bool          `json:"strict,omitempty"`
	} `json:"function"`
}

func newChatServer(t *testing.T, key string, script ...reply) *chatServer {
	t.Helper()
	s := &chatServer{key: key, script: script}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *chatServer) url() string { return s.srv.URL + "/v1" }

func (s *chatServer) seen() []chatRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *chatServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		writeReply(w, openAIErrorReply(http.StatusNotFound, "Invalid URL ("+r.Method+" "+r.URL.Path+")"))
		return
	}
	req, err := decodeChatRequest(r)
	if err != nil {
		writeReply(w, openAIErrorReply(http.StatusBadRequest, err.Error()))
		return
	}
	next := s.record(req)
	if req.Authorization != bearer(s.key) {
		// Worst case: the server quotes the key it rejected, in full.
		next = openAIErrorReply(http.StatusUnauthorized, "Incorrect API key provided: "+strings.TrimPrefix(req.Authorization, "Bearer ")+".")
	}
	writeReply(w, next)
}

// record stores req and pops the next scripted reply.
func (s *chatServer) record(req chatRequest) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
	if len(s.script) == 0 {
		return openAIErrorReply(http.StatusTeapot, "no scripted reply left")
	}
	next := s.script[0]
	s.script = s.script[1:]
	return next
}

func writeReply(w http.ResponseWriter, rep reply) {
	w.Header().Set("Content-Type", "application/json")
	// Keeps the SDK's backoff to a millisecond; it honours this header.
	w.Header().Set("retry-after-ms", "1")
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func decodeChatRequest(r *http.Request) (chatRequest, error) {
	var req chatRequest
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return req, fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return req, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("We could not parse the JSON body of your request: %v", err)
	}
	req.Authorization = r.Header.Get("Authorization")
	return req, validateChatRequest(req)
}

func validateChatRequest(req chatRequest) error {
	switch {
	case req.Model == "":
		return errors.New("you must provide a model parameter")
	case len(req.Messages) == 0:
		return errors.New("'messages' must contain at least 1 item")
	case req.MaxTokens != nil && req.MaxCompletionTokens != nil:
		return errors.New("max_tokens and max_completion_tokens cannot both be set")
	case req.ToolChoice != nil && len(req.Tools) == 0:
		return errors.New("'tool_choice' is only allowed when 'tools' are specified")
	}
	if err := validateChatTools(req.Tools); err != nil {
		return err
	}
	return validateChatMessages(req.Messages)
}

func validateChatTools(tools []chatTool) error {
	for i, tool := range tools {
		switch {
		case tool.Type != "function":
			return fmt.Errorf("tools[%d].type %q, want 'function'", i, tool.Type)
		case tool.Function.Name == "":
			return fmt.Errorf("tools[%d].function.name is missing", i)
		case tool.Function.Parameters != nil && tool.Function.Parameters["type"] != "object":
			return fmt.Errorf("tools[%d].function.parameters: schema must be a JSON Schema of 'type: \"object\"'", i)
		}
	}
	return nil
}

// validateChatMessages enforces the API's pairing rule: every tool_calls
// entry is answered by a tool message with its id before the next turn,
// and no tool message answers anything else.
func validateChatMessages(msgs []chatMessage) error {
	var open []string // ids of calls not yet answered
	for i, m := range msgs {
		if m.Role != "tool" && len(open) > 0 {
			return fmt.Errorf("messages[%d]: an assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'; missing %v", i, open)
		}
		var err error
		if open, err = validateChatMessage(i, m, open); err != nil {
			return err
		}
	}
	if len(open) > 0 {
		return fmt.Errorf("tool calls %v are not answered", open)
	}
	return nil
}

func validateChatMessage(i int, m chatMessage, open []string) ([]string, error) {
	switch m.Role {
	case "system", "user":
		if m.Content == nil || *m.Content == "" || m.ToolCalls != nil || m.ToolCallID != "" {
			return nil, fmt.Errorf("messages[%d]: %s message wants content only", i, m.Role)
		}
	case "assistant":
		if m.Content == nil && len(m.ToolCalls) == 0 {
			return nil, fmt.Errorf("messages[%d]: assistant message wants content or tool_calls", i)
		}
		return chatCallIDs(i, m.ToolCalls)
	case "tool":
		k := slices.Index(open, m.ToolCallID)
		if k < 0 || m.Content == nil {
			return nil, fmt.Errorf("messages[%d]: messages with role 'tool' must be a response to a preceding message with 'tool_calls' (id %q)", i, m.ToolCallID)
		}
		return slices.Delete(open, k, k+1), nil
	default:
		return nil, fmt.Errorf("messages[%d].role %q is not one of system, user, assistant, tool", i, m.Role)
	}
	return open, nil
}

func chatCallIDs(i int, calls []chatToolCall) ([]string, error) {
	var ids []string
	for j, c := range calls {
		if c.ID == "" || c.Type != "function" || c.Function.Name == "" || !json.Valid([]byte(c.Function.Arguments)) {
			return nil, fmt.Errorf("messages[%d].tool_calls[%d]: want id, type 'function', a name and JSON arguments, got %+v", i, j, c)
		}
		ids = append(ids, c.ID)
	}
	return ids, nil
}

func bearer(key string) string {
	if key == "" {
		return ""
	}
	return "Bearer " + key
}

// chatAnswer is a documented 200 answer with one choice.
func chatAnswer(content any, calls []any, finish string) reply {
	msg := map[string]any{"role": "assistant", "content": content, "refusal": nil, "annotations": []any{}}
	if calls != nil {
		msg["tool_calls"] = calls
	}
	body, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion",
		"created": 1741570283, "model": "gpt-4o-mini-2024-07-18",
		"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
		"usage": map[string]any{
			"prompt_tokens": 21, "completion_tokens": 9, "total_tokens": 30,
			"prompt_tokens_details":     map[string]any{"cached_tokens": 0, "audio_tokens": 0},
			"completion_tokens_details": map[string]any{"reasoning_tokens": 0, "audio_tokens": 0},
		},
		"service_tier": "default", "system_fingerprint": "fp_06737a9306",
	})
	return reply{http.StatusOK, string(body)}
}

func chatText(text string) reply { return chatAnswer(text, nil, "stop") }

// chatCall is one entry of tool_calls; arguments is a JSON string, as the
// API sends it.
func chatCall(id, name, arguments string) any {
	return map[string]any{"id": id, "type": "function", "function": map[string]any{"name": name, "arguments": arguments}}
}

func chatCalls(calls ...any) reply { return chatAnswer(nil, calls, "tool_calls") }

func openAIErrorReply(status int, msg string) reply {
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": msg, "type": "invalid_request_error", "param": nil, "code": nil,
	}})
	return reply{status, string(body)}
}
