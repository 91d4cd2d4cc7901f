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

const testGeminiKey = "AIzaSyTest-0123456789abcdefghijklmnopq"

// geminiServer fakes the Gemini API's generateContent
// (https://ai.google.dev/api/generate-content): POST
// /v1beta/models/{model}:generateContent with the key in the
// x-goog-api-key header. It decodes requests strictly, so a field the SDK
// did not send, or sent in another shape, fails the call, and it enforces
// the API's rule that a turn of function responses answers every call of
// the model turn before it. Each request takes the next scripted reply.
type geminiServer struct {
	key string

	mu     sync.Mutex
	script []reply
	calls  []geminiCall
	srv    *httptest.Server
}

type geminiCall struct {
	Model  string // from the URL
	APIKey string // from x-goog-api-key
	Body   geminiRequest
}

type geminiRequest struct {
	Contents          []geminiContent  `json:"contents"`
	SystemInstruction *geminiContent   `json:"systemInstruction,omitempty"`
	Tools             []geminiTool     `json:"tools,omitempty"`
	ToolConfig        json.RawMessage  `json:"toolConfig,omitempty"`
	SafetySettings    json.RawMessage  `json:"safetySettings,omitempty"`
	GenerationConfig  *geminiGenConfig `json:"generationConfig,omitempty"`
}

type geminiContent struct {
	Role  string       `json:"role,omitempty"`
	Parts []geminiPart `json:"parts"`
}

// geminiPart holds exactly one of text, functionCall and
// functionResponse; thoughtSignature is base64 in JSON.
type geminiPart struct {
	Text             *string             `json:"text,omitempty"`
	Thought          *bool               `json:"thought,omitempty"`
	ThoughtSignature []byte              `json:"thoughtSignature,omitempty"`
	FunctionCall     *geminiFunctionCall `json:"functionCall,omitempty"`
	FunctionResponse *geminiFunctionResp `json:"functionResponse,omitempty"`
}

type geminiFunctionCall struct {
	ID   string         `json:"id,omitempty"`
	Name string         `json:"name"`
	Args map[string]any `json:"args,omitempty"`
}

type geminiFunctionResp struct {
	ID       string         `json:"id,omitempty"`
	Name     string         `json:"name"`
	Response map[string]any `json:"response"`
}

type geminiTool struct {
	FunctionDeclarations []geminiDecl `json:"functionDeclarations"`
}

type geminiDecl struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	Parameters           json.RawMessage `json:"parameters,omitempty"`
	ParametersJSONSchema map[string]any  `json:"parametersJsonSchema,omitempty"`
}

type geminiGenConfig struct {
	Temperature     *float64 `json:"temperature,omitempty"`
	MaxOutputTokens *int     `json:"maxOutputTokens,omitempty"`
	CandidateCount  *int     `json:"candidateCount,omitempty"`
}

func newGeminiServer(t *testing.T, key string, script ...reply) *geminiServer {
	t.Helper()
	s := &geminiServer{key: key, script: script}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *geminiServer) seen() []geminiCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *geminiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	model, ok := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	model, isGenerate := strings.CutSuffix(model, ":generateContent")
	if r.Method != http.MethodPost || !ok || !isGenerate {
		writeReply(w, geminiErrorReply(http.StatusNotFound, "NOT_FOUND", "", "Method not found: "+r.Method+" "+r.URL.Path))
		return
	}
	call, err := decodeGeminiCall(r, model)
	if err != nil {
		writeReply(w, geminiErrorReply(http.StatusBadRequest, "INVALID_ARGUMENT", "", err.Error()))
		return
	}
	next := s.record(call)
	if call.APIKey != s.key {
		// The real API answers 400 with reason API_KEY_INVALID. Worst
		// case: it quotes the key.
		next = geminiErrorReply(http.StatusBadRequest, "INVALID_ARGUMENT", "API_KEY_INVALID", "API key not valid: "+call.APIKey+". Please pass a valid API key.")
	}
	writeReply(w, next)
}

func (s *geminiServer) record(call geminiCall) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
	if len(s.script) == 0 {
		return geminiErrorReply(http.StatusTeapot, "UNKNOWN", "", "no scripted reply left")
	}
	next := s.script[0]
	s.script = s.script[1:]
	return next
}

func decodeGeminiCall(r *http.Request, model string) (geminiCall, error) {
	call := geminiCall{Model: model, APIKey: r.Header.Get("x-goog-api-key")}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return call, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&call.Body); err != nil {
		return call, fmt.Errorf("Invalid JSON payload received. %v", err)
	}
	return call, validateGeminiRequest(call.Body)
}

func validateGeminiRequest(req geminiRequest) error {
	if len(req.Contents) == 0 {
		return errors.New("* GenerateContentRequest.contents: contents is not specified")
	}
	if si := req.SystemInstruction; si != nil && (len(si.Parts) != 1 || si.Parts[0].Text == nil) {
		return fmt.Errorf("systemInstruction: want one text part, got %+v", si)
	}
	for i, tool := range req.Tools {
		for j, d := range tool.FunctionDeclarations {
			if d.Name == "" || (d.Parameters != nil && d.ParametersJSONSchema != nil) {
				return fmt.Errorf("tools[%d].function_declarations[%d]: want a name and at most one of parameters, parametersJsonSchema", i, j)
			}
		}
	}
	var open []string // names of the previous model turn's calls
	for i, c := range req.Contents {
		var err error
		if open, err = validateGeminiContent(i, c, open); err != nil {
			return err
		}
	}
	return nil
}

func validateGeminiContent(i int, c geminiContent, open []string) ([]string, error) {
	if c.Role != "user" && c.Role != "model" {
		return nil, fmt.Errorf("contents[%d].role %q, want user or model", i, c.Role)
	}
	var calls, answered []string
	for j, p := range c.Parts {
		kinds := countSet(p.Text != nil, p.FunctionCall != nil, p.FunctionResponse != nil)
		switch {
		case kinds != 1:
			return nil, fmt.Errorf("contents[%d].parts[%d]: want exactly one of text, functionCall, functionResponse", i, j)
		case p.FunctionCall != nil && c.Role == "model" && p.FunctionCall.Name != "":
			calls = append(calls, p.FunctionCall.Name)
		case p.FunctionResponse != nil && c.Role == "user" && p.FunctionResponse.Name != "" && p.FunctionResponse.Response != nil:
			answered = append(answered, p.FunctionResponse.Name)
		case p.Text == nil:
			return nil, fmt.Errorf("contents[%d].parts[%d]: function part in the wrong role or without a name", i, j)
		}
	}
	if answered != nil && !slices.Equal(answered, open) {
		return nil, fmt.Errorf("contents[%d]: Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn (%v answered, %v called)", i, answered, open)
	}
	return calls, nil
}

func countSet(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// geminiAnswer is a documented 200 answer with one candidate.
func geminiAnswer(finish string, parts ...any) reply {
	body, _ := json.Marshal(map[string]any{
		"candidates": []any{map[string]any{
			"content":      map[string]any{"role": "model", "parts": parts},
			"finishReason": finish, "index": 0,
		}},
		"usageMetadata": map[string]any{
			"promptTokenCount": 31, "candidatesTokenCount": 7, "thoughtsTokenCount": 5, "totalTokenCount": 43,
			"promptTokensDetails": []any{map[string]any{"modality": "TEXT", "tokenCount": 31}},
		},
		"modelVersion": "gemini-2.5-flash", "responseId": "mGvqaO7tGbSx1dkP5KOx6Qo",
	})
	return reply{http.StatusOK, string(body)}
}

func textPart(s string) any { return map[string]any{"text": s} }

func callPart(id, name string, args map[string]any, signature string) any {
	fc := map[string]any{"name": name, "args": args}
	if id != "" {
		fc["id"] = id
	}
	p := map[string]any{"functionCall": fc}
	if signature != "" {
		p["thoughtSignature"] = signature
	}
	return p
}

func geminiErrorReply(code int, status, reason, msg string) reply {
	e := map[string]any{"code": code, "message": msg, "status": status}
	if reason != "" {
		e["details"] = []any{map[string]any{
			"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
			"domain": "googleapis.com", "metadata": map[string]any{"service": "generativelanguage.googleapis.com"},
		}}
	}
	body, _ := json.Marshal(map[string]any{"error": e})
	return reply{code, string(body)}
}
