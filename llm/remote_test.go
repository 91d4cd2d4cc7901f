package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/internal/steadytest"
	"github.com/steady-voice/steady/llm"
)

// sampleTool has what the conversions must carry: an integer with bounds,
// a string enum, descriptions and a required list.
var sampleTool = llm.Tool{
	Name:        "breathing",
	Description: "Guide a short breathing exercise.",
	Parameters: map[string]any{
		"type": "object",
		"properties": map[string]any{
			"rounds":  map[string]any{"type": "integer", "minimum": 1, "maximum": 10, "description": "How many cycles."},
			"pattern": map[string]any{"type": "string", "enum": []any{"box", "4-7-8"}},
		},
		"required": []any{"pattern"},
	},
}

const sampleSchema = `{"type":"object","properties":{
	"rounds":{"type":"integer","minimum":1,"maximum":10,"description":"How many cycles."},
	"pattern":{"type":"string","enum":["box","4-7-8"]}},
	"required":["pattern"]}`

const sampleOpenAITool = `{"type":"function","function":{"name":"breathing",
	"description":"Guide a short breathing exercise.","parameters":` + sampleSchema + `}}`

func userSays(text string) llm.Request {
	return llm.Request{Messages: []llm.Message{{Role: llm.User, Text: text}}}
}

// toolResults answers calls: the first succeeds with "<name>: done", the
// others fail with "<name> failed", so a test sees both kinds on the wire.
func toolResults(calls []llm.ToolCall) llm.Message {
	m := llm.Message{Role: llm.ToolRole}
	for i, c := range calls {
		r := llm.ToolResult{CallID: c.ID, Name: c.Name, Result: c.Name + ": done"}
		if i > 0 {
			r.Result, r.IsError = c.Name+" failed", true
		}
		m.Results = append(m.Results, r)
	}
	return m
}

func checkResponse(t *testing.T, got, want llm.Response) {
	t.Helper()
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	checkJSON(t, "response", json.RawMessage(gotJSON), string(wantJSON))
}

// checkJSON compares got, marshalled, with the JSON text want, ignoring
// key order and white space.
func checkJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	gotJSON, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("%s: marshal: %v", what, err)
	}
	var g, w any
	if err := json.Unmarshal(gotJSON, &g); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad want: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\ngot  %s\nwant %s", what, gotJSON, compact(want))
	}
}

func compact(s string) string {
	var b strings.Builder
	for _, f := range strings.Fields(s) {
		b.WriteString(f)
	}
	return b.String()
}

// checkStatusError checks that err is a *steady.Error with code whose
// cause is an *llm.APIError naming provider, base URL and status, and that
// its text holds no secret.
func checkStatusError(t *testing.T, err error, provider, baseURL string, status int, code steady.Code, secret string) {
	t.Helper()
	var apiErr *llm.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got error %v (%T), want an *llm.APIError in its chain", err, err)
	}
	if apiErr.Provider != provider || apiErr.BaseURL != baseURL || apiErr.StatusCode != status {
		t.Errorf("got provider %q, base URL %q, status %d; want %q, %q, %d",
			apiErr.Provider, apiErr.BaseURL, apiErr.StatusCode, provider, baseURL, status)
	}
	if got := steady.ErrorCode(err); got != code {
		t.Errorf("got code %q, want %q", got, code)
	}
	checkNoSecret(t, err, secret)
}

func checkNoSecret(t *testing.T, err error, secret string) {
	t.Helper()
	if err != nil && secret != "" && strings.Contains(err.Error(), secret) {
		t.Errorf("error text %q holds the API key", err.Error())
	}
}

// redirectTo returns a client that sends every request to target, so a
// test can use a production base URL against a local server.
func redirectTo(t *testing.T, target string) *http.Client {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// backend lets one set of tests check the Model contract on both
// providers, each connected to a server at serverURL.
type backend struct {
	provider string
	key      string
	// connect returns a backend for the server at serverURL and the base
	// URL its errors should name.
	connect func(t *testing.T, serverURL string) (llm.Model, string)
}

var backends = []backend{
	{"openai", testOpenAIKey, func(t *testing.T, serverURL string) (llm.Model, string) {
		o, err := llm.NewOpenAI(llm.OpenAIConfig{BaseURL: serverURL + "/v1", APIKey: testOpenAIKey})
		if err != nil {
			t.Fatalf("NewOpenAI: %v", err)
		}
		return o, serverURL + "/v1"
	}},
	{"gemini", testGeminiKey, func(t *testing.T, serverURL string) (llm.Model, string) {
		g, err := llm.NewGemini(t.Context(), llm.GeminiConfig{BaseURL: serverURL, APIKey: testGeminiKey})
		if err != nil {
			t.Fatalf("NewGemini: %v", err)
		}
		return g, serverURL
	}},
}

func TestContextCancelledInFlight(t *testing.T) {
	for _, b := range backends {
		t.Run(b.provider, func(t *testing.T) {
			srv, arrived := steadytest.BlockingServer(t)
			m, baseURL := b.connect(t, srv.URL)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go func() {
				<-arrived
				cancel()
			}()

			_, err := m.Generate(ctx, userSays("hello"))
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got error %v, want one wrapping context.Canceled", err)
			}
			if want := "llm.Generate: " + b.provider + " at " + baseURL + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got error %q, want it to start with %q", err, want)
			}
			checkNoSecret(t, err, b.key)
		})
	}
}

func TestInvalidRequestsSendNothing(t *testing.T) {
	call := llm.ToolCall{ID: "c1", Name: "breathing", Args: json.RawMessage(`{}`)}
	tests := []struct {
		name string
		req  llm.Request
		want string
	}{
		{"no messages", llm.Request{}, "no messages"},
		{"unknown role", llm.Request{Messages: []llm.Message{{Role: "system", Text: "x"}}}, `message 0: role "system" is not one of user, assistant, tool`},
		{"empty user message", llm.Request{Messages: []llm.Message{{Role: llm.User}}}, "message 0: user message without text"},
		{"empty assistant message", llm.Request{Messages: []llm.Message{{Role: llm.User, Text: "x"}, {Role: llm.Assistant}}}, "message 1: assistant message without text or tool calls"},
		{"tool message without results", llm.Request{Messages: []llm.Message{{Role: llm.ToolRole}}}, "message 0: tool message without results"},
		{"result without call id", llm.Request{Messages: []llm.Message{{Role: llm.ToolRole, Results: []llm.ToolResult{{Name: "x"}}}}}, "message 0: result 0: want a call id and a name"},
		{"call arguments not an object", llm.Request{Messages: []llm.Message{{Role: llm.Assistant, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "breathing", Args: json.RawMessage(`"box"`)}}}}}, `message 0: tool call 0 (breathing): arguments are not a JSON object: "box"`},
		{"call without id", llm.Request{Messages: []llm.Message{{Role: llm.Assistant, ToolCalls: []llm.ToolCall{{Name: call.Name}}}}}, "message 0: tool call 0: want an id and a name"},
		{"tool without name", llm.Request{Messages: userSays("x").Messages, Tools: []llm.Tool{{}}}, "tool 0 has no name"},
		{"negative max tokens", llm.Request{Messages: userSays("x").Messages, MaxTokens: -1}, "MaxTokens -1 out of range"},
	}
	for _, b := range backends {
		for _, tt := range tests {
			t.Run(b.provider+"/"+tt.name, func(t *testing.T) {
				var requests atomic.Int32
				srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
				defer srv.Close()
				m, _ := b.connect(t, srv.URL)

				_, err := m.Generate(t.Context(), tt.req)
				if want := "llm.Generate: " + tt.want; err == nil || err.Error() != want {
					t.Errorf("got error %v, want %q", err, want)
				}
				if n := requests.Load(); !steady.Is(err, steady.Invalid) || n != 0 {
					t.Errorf("got code %q and %d requests; want %q and none", steady.ErrorCode(err), n, steady.Invalid)
				}
			})
		}
	}
}

func TestAPIErrorText(t *testing.T) {
	tests := []struct {
		err  llm.APIError
		want string
	}{
		{llm.APIError{Provider: "openai", BaseURL: "http://127.0.0.1:4321/v1", StatusCode: 401, Message: "Incorrect API key provided"},
			"openai at http://127.0.0.1:4321/v1: status 401: Incorrect API key provided"},
		{llm.APIError{Provider: "gemini", BaseURL: "https://generativelanguage.googleapis.com", StatusCode: 503},
			"gemini at https://generativelanguage.googleapis.com: status 503"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err.StatusCode), func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
