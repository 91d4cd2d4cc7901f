package llm_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/llm"
)

// newTestOpenAI makes a backend that talks to s, with the test key unless
// cfg names another.
func newTestOpenAI(t *testing.T, s *chatServer, cfg llm.OpenAIConfig) *llm.OpenAI {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = s.url()
	}
	if cfg.APIKey == "" {
		cfg.APIKey = s.key
	}
	o, err := llm.NewOpenAI(cfg)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	return o
}

func TestOpenAIPlainText(t *testing.T) {
	s := newChatServer(t, testOpenAIKey, chatText("Let's take one small step."))
	o := newTestOpenAI(t, s, llm.OpenAIConfig{Model: "llama3.2"})
	temp := 0.3

	got, err := o.Generate(t.Context(), llm.Request{
		System: "You are Steady.", Temperature: &temp, MaxTokens: 200,
		Messages: []llm.Message{{Role: llm.User, Text: "I can't start."}},
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	want := llm.Response{Text: "Let's take one small step.", FinishReason: "stop", Usage: llm.Usage{InputTokens: 21, OutputTokens: 9}}
	checkResponse(t, got, want)
	if o.Name() != "openai/llama3.2" {
		t.Errorf("got Name %q, want %q", o.Name(), "openai/llama3.2")
	}
	req := onlyRequest(t, s.seen())
	checkChatMessages(t, req.Messages, `[{"role":"system","content":"You are Steady."},{"role":"user","content":"I can't start."}]`)
	switch {
	case req.Model != "llama3.2" || req.Authorization != bearer(testOpenAIKey):
		t.Errorf("got model %q, auth %q; want %q and the test key", req.Model, req.Authorization, "llama3.2")
	case req.Tools != nil || req.ToolChoice != nil:
		t.Errorf("got tools %v, tool_choice %s; want both absent", req.Tools, req.ToolChoice)
	case req.Temperature == nil || *req.Temperature != 0.3:
		t.Errorf("got temperature %v, want 0.3", req.Temperature)
	case req.MaxTokens == nil || *req.MaxTokens != 200 || req.MaxCompletionTokens != nil:
		t.Errorf("got max_tokens %v, max_completion_tokens %v; want 200 and absent", req.MaxTokens, req.MaxCompletionTokens)
	}
}

func TestOpenAIDefaultsOmitOptionalFields(t *testing.T) {
	s := newChatServer(t, testOpenAIKey, chatText("hi"))
	o := newTestOpenAI(t, s, llm.OpenAIConfig{})

	if _, err := o.Generate(t.Context(), userSays("hello")); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	req := onlyRequest(t, s.seen())
	if req.Model != "gpt-4o-mini" || req.Temperature != nil || req.MaxTokens != nil || req.MaxCompletionTokens != nil {
		t.Errorf("got model %q, temperature %v, max_tokens %v, max_completion_tokens %v; want gpt-4o-mini and the rest absent",
			req.Model, req.Temperature, req.MaxTokens, req.MaxCompletionTokens)
	}
	checkChatMessages(t, req.Messages, `[{"role":"user","content":"hello"}]`)
}

// TestOpenAIMaxCompletionTokensOnOpenAI: OpenAI's reasoning models reject
// max_tokens, so requests to api.openai.com (redirected here to the fake
// server by the HTTP client) carry max_completion_tokens.
func TestOpenAIMaxCompletionTokensOnOpenAI(t *testing.T) {
	s := newChatServer(t, testOpenAIKey, chatText("ok"))
	o := newTestOpenAI(t, s, llm.OpenAIConfig{BaseURL: "https://api.openai.com/v1", HTTPClient: redirectTo(t, s.srv.URL)})

	req := userSays("hello")
	req.MaxTokens = 64
	if _, err := o.Generate(t.Context(), req); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	got := onlyRequest(t, s.seen())
	if got.MaxCompletionTokens == nil || *got.MaxCompletionTokens != 64 || got.MaxTokens != nil {
		t.Errorf("got max_completion_tokens %v, max_tokens %v; want 64 and absent", got.MaxCompletionTokens, got.MaxTokens)
	}
}

func TestOpenAIToolCall(t *testing.T) {
	s := newChatServer(t, testOpenAIKey, chatCalls(
		chatCall("call_Xq1", "breathing", `{"pattern":"box","rounds":4}`),
		chatCall("call_Xq2", "check_in", ``),
	))
	o := newTestOpenAI(t, s, llm.OpenAIConfig{})
	req := userSays("I'm overwhelmed")
	req.Tools = []llm.Tool{sampleTool, {Name: "check_in", Description: "Ask how the user feels."}}

	got, err := o.Generate(t.Context(), req)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	checkResponse(t, got, llm.Response{
		ToolCalls: []llm.ToolCall{
			{ID: "call_Xq1", Name: "breathing", Args: json.RawMessage(`{"pattern":"box","rounds":4}`)},
			{ID: "call_Xq2", Name: "check_in", Args: json.RawMessage(`{}`)},
		},
		FinishReason: "tool_calls", Usage: llm.Usage{InputTokens: 21, OutputTokens: 9},
	})
	sent := onlyRequest(t, s.seen())
	checkJSON(t, "tools", sent.Tools, `[`+sampleOpenAITool+`,
		{"type":"function","function":{"name":"check_in","description":"Ask how the user feels.","parameters":{"type":"object","properties":{}}}}]`)
}

func TestOpenAIToolExchange(t *testing.T) {
	s := newChatServer(t, testOpenAIKey,
		chatAnswer("Let's breathe first.", []any{chatCall("call_A", "breathing", `{"pattern":"box"}`), chatCall("call_B", "log_win", `{"text":"got up"}`)}, "tool_calls"),
		chatText("Nice work. Ready for the next step?"))
	o := newTestOpenAI(t, s, llm.OpenAIConfig{})
	req := userSays("help")
	req.System = "Be brief."
	req.Tools = []llm.Tool{sampleTool, {Name: "log_win"}}

	first, err := o.Generate(t.Context(), req)
	if err != nil {
		t.Fatalf("step 1: %v", err)
	}
	req.Messages = append(req.Messages, llm.Message{Role: llm.Assistant, Text: first.Text, ToolCalls: first.ToolCalls}, toolResults(first.ToolCalls))
	second, err := o.Generate(t.Context(), req)
	if err != nil {
		t.Fatalf("step 2: %v", err)
	}
	if second.Text != "Nice work. Ready for the next step?" || len(second.ToolCalls) != 0 {
		t.Errorf("step 2: got %+v, want the final text and no calls", second)
	}
	reqs := s.seen()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(reqs))
	}
	checkChatMessages(t, reqs[1].Messages, `[
		{"role":"system","content":"Be brief."},
		{"role":"user","content":"help"},
		{"role":"assistant","content":"Let's breathe first.","tool_calls":[
			{"id":"call_A","type":"function","function":{"name":"breathing","arguments":"{\"pattern\":\"box\"}"}},
			{"id":"call_B","type":"function","function":{"name":"log_win","arguments":"{\"text\":\"got up\"}"}}]},
		{"role":"tool","tool_call_id":"call_A","content":"breathing: done"},
		{"role":"tool","tool_call_id":"call_B","content":"Error: log_win failed"}]`)
}

func TestOpenAIStatuses(t *testing.T) {
	busy := openAIErrorReply(http.StatusTooManyRequests, "Rate limit reached for gpt-4o-mini")
	broken := openAIErrorReply(http.StatusInternalServerError, "The server had an error while processing your request.")
	tests := []struct {
		name         string
		script       []reply
		key          string
		wantAttempts int
		wantStatus   int // 0: success
		wantCode     steady.Code
		wantMessage  string
	}{
		{name: "429 then success", script: []reply{busy, chatText("ok")}, wantAttempts: 2},
		{
			name: "500 until giving up", script: []reply{broken, broken, broken, broken},
			wantAttempts: 3, wantStatus: 500, wantCode: steady.Unavailable, wantMessage: "The server had an error while processing your request.",
		},
		{
			name: "401 not retried", key: "sk-wrong-9d8c7b6a5f4e3d2c", script: []reply{chatText("never")},
			wantAttempts: 1, wantStatus: 401, wantCode: steady.Unauthorized, wantMessage: "Incorrect API key provided: [redacted].",
		},
		{
			name: "403 not retried", script: []reply{openAIErrorReply(403, "Project does not have access to model"), chatText("never")},
			wantAttempts: 1, wantStatus: 403, wantCode: steady.Unauthorized, wantMessage: "Project does not have access to model",
		},
		{
			name: "400 not retried, Ollama's error shape", script: []reply{{400, `{"error":"model \"x\" not found, try pulling it first"}`}, chatText("never")},
			wantAttempts: 1, wantStatus: 400, wantCode: steady.Invalid, wantMessage: `model "x" not found, try pulling it first`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newChatServer(t, testOpenAIKey, tt.script...)
			o := newTestOpenAI(t, s, llm.OpenAIConfig{MaxRetries: 2, APIKey: tt.key})

			got, err := o.Generate(t.Context(), userSays("hello"))
			if n := len(s.seen()); n != tt.wantAttempts {
				t.Errorf("server saw %d attempts, want %d", n, tt.wantAttempts)
			}
			if tt.wantStatus == 0 {
				if err != nil || got.Text != "ok" {
					t.Fatalf("got %+v, %v; want text \"ok\"", got, err)
				}
				return
			}
			checkStatusError(t, err, "openai", s.url(), tt.wantStatus, tt.wantCode, tt.key)
			want := fmt.Sprintf("llm.Generate: openai at %s: status %d: %s", s.url(), tt.wantStatus, tt.wantMessage)
			if err.Error() != want {
				t.Errorf("got error %q, want %q", err, want)
			}
		})
	}
}

func TestOpenAIMalformedAnswers(t *testing.T) {
	tests := []struct {
		name  string
		reply reply
		want  string // in the error, after "openai at <url>: "
	}{
		{"not JSON", reply{200, `{"id":"chatcmpl-1","choices":[`}, ""},
		{"no choices", reply{200, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[]}`}, "answer holds no choices"},
		{"arguments not JSON", chatCalls(chatCall("call_1", "breathing", `{"pattern":`)), `tool call "breathing": arguments are not a JSON object: {"pattern":`},
		{"arguments not an object", chatCalls(chatCall("call_1", "breathing", `[1,2]`)), `tool call "breathing": arguments are not a JSON object: [1,2]`},
		{"call without name", chatCalls(chatCall("call_1", "", `{}`)), "tool call 0 has no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newChatServer(t, testOpenAIKey, tt.reply)
			o := newTestOpenAI(t, s, llm.OpenAIConfig{})

			got, err := o.Generate(t.Context(), userSays("hello"))
			if err == nil {
				t.Fatalf("got %+v and no error, want an error", got)
			}
			if prefix := "llm.Generate: openai at " + s.url() + ": " + tt.want; !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("got error %q, want it to start with %q", err, prefix)
			}
			if code := steady.ErrorCode(err); code != steady.Internal {
				t.Errorf("got code %q, want %q", code, steady.Internal)
			}
		})
	}
}

// TestOpenAIIgnoresEnvironment: the SDK reads OPENAI_API_KEY and
// OPENAI_BASE_URL by itself; a key meant for OpenAI must not be sent to the
// local server the config names.
func TestOpenAIIgnoresEnvironment(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-from-environment-1234")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	s := newChatServer(t, "", chatText("hi"))
	o := newTestOpenAI(t, s, llm.OpenAIConfig{})

	if _, err := o.Generate(t.Context(), userSays("hello")); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if req := onlyRequest(t, s.seen()); req.Authorization != "" {
		t.Errorf("got Authorization %q, want none", req.Authorization)
	}
}

func TestOpenAIConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  llm.OpenAIConfig
		want string
	}{
		{"negative retries", llm.OpenAIConfig{MaxRetries: -1}, "negative MaxRetries -1"},
		{"too many retries", llm.OpenAIConfig{MaxRetries: 21}, "MaxRetries 21 above 20"},
		{"padded model", llm.OpenAIConfig{Model: "gpt-4o-mini\n"}, "padded with white space"},
		{"no scheme", llm.OpenAIConfig{BaseURL: "localhost:11434/v1"}, "want http:// or https://"},
		{"bad URL", llm.OpenAIConfig{BaseURL: "http://[::1"}, "openai base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.APIKey = testOpenAIKey
			o, err := llm.NewOpenAI(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got backend %v, error %v; want an error containing %q", o, err, tt.want)
			}
			if !steady.Is(err, steady.Invalid) {
				t.Errorf("got code %q, want %q", steady.ErrorCode(err), steady.Invalid)
			}
			checkNoSecret(t, err, testOpenAIKey)
		})
	}
}

func onlyRequest[T any](t *testing.T, reqs []T) T {
	t.Helper()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

func checkChatMessages(t *testing.T, got []chatMessage, want string) {
	t.Helper()
	checkJSON(t, "messages", got, want)
}
