package llm_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/llm"
)

// newTestGemini makes a backend that talks to s, with the test key unless
// cfg names another, and retries that wait a millisecond.
func newTestGemini(t *testing.T, s *geminiServer, cfg llm.GeminiConfig) *llm.Gemini {
	t.Helper()
	cfg.BaseURL = s.srv.URL
	if cfg.APIKey == "" {
		cfg.APIKey = s.key
	}
	cfg.RetryDelay = time.Millisecond
	g, err := llm.NewGemini(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewGemini: %v", err)
	}
	return g
}

func TestGeminiPlainText(t *testing.T) {
	s := newGeminiServer(t, testGeminiKey, geminiAnswer("STOP",
		map[string]any{"text": "thinking about it", "thought": true},
		textPart("Let's take "), textPart("one small step.")))
	g := newTestGemini(t, s, llm.GeminiConfig{Model: "models/gemini-2.5-pro"})
	temp := 0.25

	got, err := g.Generate(t.Context(), llm.Request{
		System: "You are Steady.", Temperature: &temp, MaxTokens: 200,
		Messages: []llm.Message{{Role: llm.User, Text: "I can't start."}},
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	checkResponse(t, got, llm.Response{Text: "Let's take one small step.", FinishReason: "STOP", Usage: llm.Usage{InputTokens: 31, OutputTokens: 12}})
	if g.Name() != "gemini/gemini-2.5-pro" {
		t.Errorf("got Name %q, want %q", g.Name(), "gemini/gemini-2.5-pro")
	}
	call := onlyRequest(t, s.seen())
	if call.Model != "gemini-2.5-pro" || call.APIKey != testGeminiKey {
		t.Errorf("got model %q, key %q; want gemini-2.5-pro and the test key", call.Model, call.APIKey)
	}
	checkJSON(t, "request", call.Body, `{
		"contents":[{"role":"user","parts":[{"text":"I can't start."}]}],
		"systemInstruction":{"role":"user","parts":[{"text":"You are Steady."}]},
		"generationConfig":{"temperature":0.25,"maxOutputTokens":200}}`)
}

func TestGeminiDefaults(t *testing.T) {
	s := newGeminiServer(t, testGeminiKey, geminiAnswer("STOP", textPart("hi")))
	g := newTestGemini(t, s, llm.GeminiConfig{})

	if _, err := g.Generate(t.Context(), userSays("hello")); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	call := onlyRequest(t, s.seen())
	if call.Model != "gemini-2.5-flash" {
		t.Errorf("got model %q, want gemini-2.5-flash", call.Model)
	}
	// The SDK always sends generationConfig, empty when nothing is set.
	checkJSON(t, "request", call.Body, `{"contents":[{"role":"user","parts":[{"text":"hello"}]}],"generationConfig":{}}`)
}

func TestGeminiToolCall(t *testing.T) {
	s := newGeminiServer(t, testGeminiKey, geminiAnswer("STOP",
		textPart("Let's breathe."),
		callPart("", "breathing", map[string]any{"pattern": "box", "rounds": 4}, "c2lnLTE="),
		callPart("", "check_in", nil, ""),
		callPart("fc-77", "log_win", map[string]any{"text": "up"}, ""),
	))
	g := newTestGemini(t, s, llm.GeminiConfig{})
	req := userSays("I'm overwhelmed")
	req.Tools = []llm.Tool{sampleTool, {Name: "check_in", Description: "Ask how the user feels."}}

	got, err := g.Generate(t.Context(), req)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	checkResponse(t, got, llm.Response{
		Text: "Let's breathe.",
		ToolCalls: []llm.ToolCall{
			{ID: "call_1", Name: "breathing", Args: json.RawMessage(`{"pattern":"box","rounds":4}`), Signature: []byte("sig-1")},
			{ID: "call_2", Name: "check_in", Args: json.RawMessage(`{}`)},
			{ID: "fc-77", Name: "log_win", Args: json.RawMessage(`{"text":"up"}`)},
		},
		FinishReason: "STOP", Usage: llm.Usage{InputTokens: 31, OutputTokens: 12},
	})
	checkJSON(t, "tools", onlyRequest(t, s.seen()).Body.Tools, `[{"functionDeclarations":[`+sampleGeminiDecl+`,
		{"name":"check_in","description":"Ask how the user feels."}]}]`)
}

func TestGeminiToolExchange(t *testing.T) {
	s := newGeminiServer(t, testGeminiKey,
		geminiAnswer("STOP",
			textPart("Let's breathe first."),
			callPart("", "breathing", map[string]any{"pattern": "box"}, "c2lnLTE="),
			callPart("", "log_win", map[string]any{"text": "got up"}, "")),
		geminiAnswer("STOP", textPart("Nice work. Ready for the next step?")))
	g := newTestGemini(t, s, llm.GeminiConfig{})
	req := userSays("help")
	req.System = "Be brief."
	req.Tools = []llm.Tool{sampleTool, {Name: "log_win"}}

	first, err := g.Generate(t.Context(), req)
	if err != nil {
		t.Fatalf("step 1: %v", err)
	}
	req.Messages = append(req.Messages, llm.Message{Role: llm.Assistant, Text: first.Text, ToolCalls: first.ToolCalls}, toolResults(first.ToolCalls))
	second, err := g.Generate(t.Context(), req)
	if err != nil {
		t.Fatalf("step 2: %v", err)
	}
	if second.Text != "Nice work. Ready for the next step?" || len(second.ToolCalls) != 0 {
		t.Errorf("step 2: got %+v, want the final text and no calls", second)
	}
	calls := s.seen()
	if len(calls) != 2 {
		t.Fatalf("server saw %d calls, want 2", len(calls))
	}
	checkJSON(t, "contents", calls[1].Body.Contents, `[
		{"role":"user","parts":[{"text":"help"}]},
		{"role":"model","parts":[
			{"text":"Let's breathe first."},
			{"functionCall":{"id":"call_1","name":"breathing","args":{"pattern":"box"}},"thoughtSignature":"c2lnLTE="},
			{"functionCall":{"id":"call_2","name":"log_win","args":{"text":"got up"}}}]},
		{"role":"user","parts":[
			{"functionResponse":{"id":"call_1","name":"breathing","response":{"output":"breathing: done"}}},
			{"functionResponse":{"id":"call_2","name":"log_win","response":{"error":"log_win failed"}}}]}]`)
	checkJSON(t, "systemInstruction", calls[1].Body.SystemInstruction, `{"role":"user","parts":[{"text":"Be brief."}]}`)
}

func TestGeminiStatuses(t *testing.T) {
	busy := geminiErrorReply(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "", "Resource has been exhausted (e.g. check quota).")
	broken := geminiErrorReply(http.StatusInternalServerError, "INTERNAL", "", "An internal error has occurred.")
	denied := geminiErrorReply(http.StatusForbidden, "PERMISSION_DENIED", "", "Permission denied: Consumer has been suspended.")
	ok := geminiAnswer("STOP", textPart("ok"))
	tests := []struct {
		name         string
		script       []reply
		key          string
		wantAttempts int
		wantStatus   int // 0: success
		wantCode     steady.Code
		wantMessage  string
	}{
		{name: "429 then success", script: []reply{busy, ok}, wantAttempts: 2},
		{
			name: "500 until giving up", script: []reply{broken, broken, broken, broken},
			wantAttempts: 3, wantStatus: 500, wantCode: steady.Unavailable, wantMessage: "An internal error has occurred.",
		},
		{
			name: "invalid key not retried", key: "AIzaSyWrong-zyxwvutsrqponmlkjihgfedcba", script: []reply{ok},
			wantAttempts: 1, wantStatus: 400, wantCode: steady.Unauthorized, wantMessage: "API key not valid: [redacted]. Please pass a valid API key.",
		},
		{
			name: "401 not retried", script: []reply{geminiErrorReply(401, "UNAUTHENTICATED", "", "Request had invalid authentication credentials."), ok},
			wantAttempts: 1, wantStatus: 401, wantCode: steady.Unauthorized, wantMessage: "Request had invalid authentication credentials.",
		},
		{
			name: "403 not retried", script: []reply{denied, ok},
			wantAttempts: 1, wantStatus: 403, wantCode: steady.Unauthorized, wantMessage: "Permission denied: Consumer has been suspended.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newGeminiServer(t, testGeminiKey, tt.script...)
			g := newTestGemini(t, s, llm.GeminiConfig{MaxRetries: 2, APIKey: tt.key})

			got, err := g.Generate(t.Context(), userSays("hello"))
			if n := len(s.seen()); n != tt.wantAttempts {
				t.Errorf("server saw %d attempts, want %d", n, tt.wantAttempts)
			}
			if tt.wantStatus == 0 {
				if err != nil || got.Text != "ok" {
					t.Fatalf("got %+v, %v; want text \"ok\"", got, err)
				}
				return
			}
			checkStatusError(t, err, "gemini", s.srv.URL, tt.wantStatus, tt.wantCode, tt.key)
			want := fmt.Sprintf("llm.Generate: gemini at %s: status %d: %s", s.srv.URL, tt.wantStatus, tt.wantMessage)
			if err.Error() != want {
				t.Errorf("got error %q, want %q", err, want)
			}
		})
	}
}

func TestGeminiMalformedAnswers(t *testing.T) {
	tests := []struct {
		name  string
		reply reply
		want  string // in the error, after "gemini at <url>: "
	}{
		{"not JSON", reply{200, `{"candidates":[`}, "deserializeUnaryResponse: error unmarshalling response: unexpected end of JSON input {"},
		{"HTML page", reply{200, "<html>\n" + strings.Repeat("<p>proxy</p>", 100)}, "deserializeUnaryResponse: error unmarshalling response: invalid character '<'"},
		{"candidates of the wrong type", reply{200, `{"candidates":"none"}`}, "malformed answer: "},
		{"no candidates", reply{200, `{"candidates":[],"modelVersion":"gemini-2.5-flash"}`}, "answer holds no candidates"},
		{"prompt blocked", reply{200, `{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":8}}`}, "answer holds no candidates: prompt blocked (SAFETY)"},
		{"call without name", geminiAnswer("STOP", callPart("", "", nil, "")), "tool call 0 has no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newGeminiServer(t, testGeminiKey, tt.reply)
			g := newTestGemini(t, s, llm.GeminiConfig{})

			got, err := g.Generate(t.Context(), userSays("hello"))
			if err == nil {
				t.Fatalf("got %+v and no error, want an error", got)
			}
			if prefix := "llm.Generate: gemini at " + s.srv.URL + ": " + tt.want; !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("got error %q, want it to start with %q", err, prefix)
			}
			if code := steady.ErrorCode(err); code != steady.Internal {
				t.Errorf("got code %q, want %q", code, steady.Internal)
			}
			if n := len(err.Error()); n > 500 || strings.Contains(err.Error(), "\n") {
				t.Errorf("got a %d-byte error over several lines, want one short line", n)
			}
		})
	}
}

// TestGeminiSafetyStopIsNoError: a candidate without content (the answer
// was filtered) is a reply with a finish reason, not a fault.
func TestGeminiSafetyStopIsNoError(t *testing.T) {
	s := newGeminiServer(t, testGeminiKey, reply{200, `{"candidates":[{"finishReason":"SAFETY","index":0}]}`})
	g := newTestGemini(t, s, llm.GeminiConfig{})

	got, err := g.Generate(t.Context(), userSays("hello"))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	checkResponse(t, got, llm.Response{FinishReason: "SAFETY"})
}

// TestGeminiIgnoresEnvironment: the SDK reads the backend, key and base URL
// from the environment by itself; the config alone must decide.
func TestGeminiIgnoresEnvironment(t *testing.T) {
	t.Setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
	t.Setenv("GOOGLE_API_KEY", "AIzaSyFromEnvironment-000000000000000")
	t.Setenv("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:1/")
	s := newGeminiServer(t, testGeminiKey, geminiAnswer("STOP", textPart("hi")))
	g := newTestGemini(t, s, llm.GeminiConfig{})

	if _, err := g.Generate(t.Context(), userSays("hello")); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if call := onlyRequest(t, s.seen()); call.APIKey != testGeminiKey {
		t.Errorf("got key %q, want the configured one", call.APIKey)
	}
}

func TestGeminiConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  llm.GeminiConfig
		want string
	}{
		{"no key", llm.GeminiConfig{}, "no API key: gemini needs an API key"},
		{"negative retries", llm.GeminiConfig{APIKey: testGeminiKey, MaxRetries: -3}, "negative MaxRetries -3"},
		{"negative retry delay", llm.GeminiConfig{APIKey: testGeminiKey, RetryDelay: -time.Second}, "negative RetryDelay -1s"},
		{"padded model", llm.GeminiConfig{APIKey: testGeminiKey, Model: " gemini-2.5-flash"}, "padded with white space"},
		{"bad base URL", llm.GeminiConfig{APIKey: testGeminiKey, BaseURL: "generativelanguage.googleapis.com"}, "want http:// or https://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := llm.NewGemini(t.Context(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got backend %v, error %v; want an error containing %q", g, err, tt.want)
			}
			if !steady.Is(err, steady.Invalid) {
				t.Errorf("got code %q, want %q", steady.ErrorCode(err), steady.Invalid)
			}
			checkNoSecret(t, err, testGeminiKey)
		})
	}
}
