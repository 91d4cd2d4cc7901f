package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/steady-voice/steady/internal/remote"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/steady-voice/steady"
	"google.golang.org/genai"
)

const (
	geminiProvider          = "gemini"
	geminiDefaultBaseURL    = "https://generativelanguage.googleapis.com/"
	geminiDefaultModel      = "gemini-2.5-flash"
	geminiDefaultRetries    = 3
	geminiDefaultRetryDelay = time.Second
	// geminiKeyInvalid is the reason the API gives, with a 400 status, for
	// a wrong key.
	geminiKeyInvalid = "API_KEY_INVALID"
)

var _ Model = (*Gemini)(nil)

// GeminiConfig configures a backend for the Gemini API (API key, not
// Vertex AI).
type GeminiConfig struct {
	// BaseURL replaces https://generativelanguage.googleapis.com/, for
	// proxies and tests. The API version ("v1beta") is appended by the SDK.
	BaseURL string
	// APIKey is required; it is never read from the environment.
	APIKey string
	// Model names the model, with or without "models/". Default
	// "gemini-2.5-flash".
	Model string
	// MaxRetries is how often a request that failed with 408, 429, 500,
	// 502, 503, 504 or a broken connection is repeated. Other statuses
	// (400, 401, 403…) are never retried. Default 3 (0 means the default);
	// at most 20.
	MaxRetries int
	// RetryDelay is the wait before the first retry; it doubles for each
	// further retry (to at most 60s), plus a random jitter of up to
	// RetryDelay. Default 1s. The SDK does not read Retry-After.
	RetryDelay time.Duration
	// HTTPClient carries the requests if set (proxies, custom TLS).
	HTTPClient *http.Client
}

// Gemini generates replies with the Gemini API. It is safe for concurrent
// use.
type Gemini struct {
	client  *genai.Client
	model   string // without "models/"
	baseURL string // for error messages: no credentials in it
	apiKey  string // kept only to scrub it from error text
}

// NewGemini returns a backend for cfg. It makes no request.
func NewGemini(ctx context.Context, cfg GeminiConfig) (*Gemini, error) {
	cfg = cfg.withDefaults()
	baseURL, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	client, err := genai.NewClient(ctx, cfg.clientConfig())
	if err != nil {
		return nil, steady.Errorf(steady.Invalid, configOp, "%s", remote.Redact(fmt.Sprintf("%s at %s: %v", geminiProvider, baseURL, err), cfg.APIKey))
	}
	return &Gemini{client: client, model: cfg.Model, baseURL: baseURL, apiKey: cfg.APIKey}, nil
}

func (c GeminiConfig) withDefaults() GeminiConfig {
	c.Model = strings.TrimPrefix(c.Model, "models/")
	if c.Model == "" {
		c.Model = geminiDefaultModel
	}
	if c.BaseURL == "" {
		// Set explicitly so that GOOGLE_GEMINI_BASE_URL in the environment
		// cannot send the key somewhere the config did not name.
		c.BaseURL = geminiDefaultBaseURL
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = geminiDefaultRetries
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = geminiDefaultRetryDelay
	}
	return c
}

// validate checks c and returns the base URL as shown in errors.
func (c GeminiConfig) validate() (string, error) {
	if c.APIKey == "" {
		return "", noKey(geminiProvider)
	}
	if err := validateModel(geminiProvider, c.Model); err != nil {
		return "", err
	}
	if err := validateRetries(geminiProvider, c.MaxRetries); err != nil {
		return "", err
	}
	if c.RetryDelay < 0 {
		return "", configError("%s: negative RetryDelay %v", geminiProvider, c.RetryDelay)
	}
	_, shown, err := parseBaseURL(geminiProvider, c.BaseURL)
	return shown, err
}

func (c GeminiConfig) clientConfig() *genai.ClientConfig {
	delay := c.RetryDelay.Seconds()
	return &genai.ClientConfig{
		APIKey:     c.APIKey,
		Backend:    genai.BackendGeminiAPI,
		HTTPClient: c.HTTPClient,
		HTTPOptions: genai.HTTPOptions{
			BaseURL: c.BaseURL,
			// Without RetryOptions the SDK makes a single attempt. Its
			// default status list (408, 429, 5xx but 501) is what we want.
			RetryOptions: &genai.HTTPRetryOptions{
				Attempts:     genai.Ptr(int32(c.MaxRetries + 1)),
				InitialDelay: &delay,
				Jitter:       &delay,
			},
		},
	}
}

// Name implements Model: "gemini/<model>".
func (g *Gemini) Name() string { return geminiProvider + "/" + g.model }

// Generate implements Model.
func (g *Gemini) Generate(ctx context.Context, req Request) (Response, error) {
	if err := validateRequest(req); err != nil {
		return Response{}, err
	}
	contents, err := geminiContents(req.Messages)
	if err != nil {
		return Response{}, steady.Errorf(steady.Invalid, generateOp, "%w", err)
	}
	res, err := g.generate(ctx, contents, geminiConfig(req))
	if err != nil {
		return Response{}, g.failure(ctx, err)
	}
	out, err := geminiResponse(res)
	if err != nil {
		return Response{}, failure(steady.Internal, geminiProvider, g.baseURL, g.apiKey, err)
	}
	return out, nil
}

// geminiConfig builds a fresh config on every call: the SDK writes into a
// config's HTTPOptions, so a shared one would race between calls.
func geminiConfig(req Request) *genai.GenerateContentConfig {
	cfg := &genai.GenerateContentConfig{Tools: GeminiTools(req.Tools)}
	if req.System != "" {
		cfg.SystemInstruction = genai.NewContentFromText(req.System, genai.RoleUser)
	}
	if req.Temperature != nil {
		cfg.Temperature = genai.Ptr(float32(*req.Temperature))
	}
	cfg.MaxOutputTokens = int32(req.MaxTokens) // range checked by validateRequest
	return cfg
}

// generate calls the SDK, turning a panic into an error: the SDK's
// response converters assert JSON types unchecked and panic on an answer
// of the wrong shape (say "candidates" as a string), and no answer from a
// server, or a proxy in front of it, may bring the process down.
func (g *Gemini) generate(ctx context.Context, contents []*genai.Content, cfg *genai.GenerateContentConfig) (res *genai.GenerateContentResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("%w: %v", errMalformed, p)
		}
	}()
	return g.client.Models.GenerateContent(ctx, g.model, contents, cfg)
}

// errMalformed marks an answer the SDK could not read.
var errMalformed = errors.New("malformed answer")

// failure turns an SDK error into one that names the server. The SDK's own
// message would carry the error details but not say which server failed.
func (g *Gemini) failure(ctx context.Context, err error) error {
	var apiErr genai.APIError
	var urlErr *url.Error
	switch {
	case ctx.Err() != nil || errors.As(err, &urlErr):
		// No answer: the caller gave up, or the server is unreachable.
		return transportFailure(geminiProvider, g.baseURL, g.apiKey, err)
	case !errors.As(err, &apiErr):
		// An answer the SDK could not decode.
		return failure(steady.Internal, geminiProvider, g.baseURL, g.apiKey, err)
	}
	code := statusCode(apiErr.Code)
	if geminiReason(apiErr) == geminiKeyInvalid {
		code = steady.Unauthorized
	}
	return statusError(code, geminiProvider, g.baseURL, apiErr.Code, apiErr.Message, g.apiKey)
}

// geminiReason returns the google.rpc.ErrorInfo reason of an API error.
func geminiReason(e genai.APIError) string {
	for _, d := range e.Details {
		if reason, ok := d["reason"].(string); ok {
			return reason
		}
	}
	return ""
}

// GeminiTools converts tools into one Gemini tool of function
// declarations, exactly as the backend sends them. Parameters go in
// ParametersJsonSchema, which the API takes as JSON Schema unchanged, rather
// than in Parameters: genai.Schema is an OpenAPI 3.0 subset (upper-case
// types, float bounds, string-only enums, no additionalProperties), so a
// conversion would be lossy and a second place for bugs.
func GeminiTools(tools []Tool) []*genai.Tool {
	if len(tools) == 0 {
		return nil
	}
	decls := make([]*genai.FunctionDeclaration, len(tools))
	for i, t := range tools {
		decls[i] = &genai.FunctionDeclaration{Name: t.Name, Description: t.Description}
		if t.Parameters != nil {
			decls[i].ParametersJsonSchema = t.Parameters
		}
	}
	return []*genai.Tool{{FunctionDeclarations: decls}}
}

// geminiContents maps the conversation. Gemini has no tool role: results
// go back as functionResponse parts of a "user" turn.
func geminiContents(msgs []Message) ([]*genai.Content, error) {
	out := make([]*genai.Content, 0, len(msgs))
	for i, m := range msgs {
		switch m.Role {
		case User:
			out = append(out, genai.NewContentFromText(m.Text, genai.RoleUser))
		case Assistant:
			c, err := geminiAssistant(m)
			if err != nil {
				return nil, fmt.Errorf("message %d: %w", i, err)
			}
			out = append(out, c)
		case ToolRole:
			out = append(out, geminiResults(m.Results))
		}
	}
	return out, nil
}

func geminiAssistant(m Message) (*genai.Content, error) {
	var parts []*genai.Part
	if m.Text != "" {
		parts = append(parts, genai.NewPartFromText(m.Text))
	}
	for _, c := range m.ToolCalls {
		args, err := geminiArgs(c.Args)
		if err != nil {
			return nil, fmt.Errorf("tool call %q: %w", c.Name, err)
		}
		parts = append(parts, &genai.Part{
			FunctionCall:     &genai.FunctionCall{ID: c.ID, Name: c.Name, Args: args},
			ThoughtSignature: c.Signature,
		})
	}
	return genai.NewContentFromParts(parts, genai.RoleModel), nil
}

func geminiArgs(raw json.RawMessage) (map[string]any, error) {
	obj, err := argsObject(raw)
	if err != nil {
		return nil, err
	}
	var args map[string]any
	if err := json.Unmarshal(obj, &args); err != nil {
		return nil, err
	}
	return args, nil
}

// geminiResults answers calls with the keys the API documents: "output"
// for a result, "error" for a failure.
func geminiResults(results []ToolResult) *genai.Content {
	parts := make([]*genai.Part, len(results))
	for i, r := range results {
		key := "output"
		if r.IsError {
			key = "error"
		}
		parts[i] = &genai.Part{FunctionResponse: &genai.FunctionResponse{
			ID:       r.CallID,
			Name:     r.Name,
			Response: map[string]any{key: r.Result},
		}}
	}
	return genai.NewContentFromParts(parts, genai.RoleUser)
}

// geminiResponse reads the first candidate, the only one asked for.
func geminiResponse(res *genai.GenerateContentResponse) (Response, error) {
	if len(res.Candidates) == 0 || res.Candidates[0] == nil {
		return Response{}, noCandidates(res)
	}
	cand := res.Candidates[0]
	out := Response{FinishReason: string(cand.FinishReason), Usage: geminiUsage(res.UsageMetadata)}
	if cand.Content == nil {
		return out, nil // e.g. finishReason SAFETY: no content, not a fault
	}
	var text strings.Builder
	for _, p := range cand.Content.Parts {
		switch {
		case p == nil || p.Thought:
			// Thought summaries are not part of the reply.
		case p.FunctionCall != nil:
			call, err := geminiCall(p, len(out.ToolCalls))
			if err != nil {
				return Response{}, err
			}
			out.ToolCalls = append(out.ToolCalls, call)
		default:
			text.WriteString(p.Text)
		}
	}
	out.Text = text.String()
	return out, nil
}

func geminiCall(p *genai.Part, i int) (ToolCall, error) {
	fc := p.FunctionCall
	if fc.Name == "" {
		return ToolCall{}, fmt.Errorf("tool call %d has no name", i)
	}
	args := []byte("{}")
	if fc.Args != nil {
		var err error
		if args, err = json.Marshal(fc.Args); err != nil {
			return ToolCall{}, fmt.Errorf("tool call %q: %w", fc.Name, err)
		}
	}
	return ToolCall{ID: callID(fc.ID, i), Name: fc.Name, Args: args, Signature: p.ThoughtSignature}, nil
}

func noCandidates(res *genai.GenerateContentResponse) error {
	if fb := res.PromptFeedback; fb != nil && fb.BlockReason != "" {
		return fmt.Errorf("answer holds no candidates: prompt blocked (%s)", fb.BlockReason)
	}
	return errors.New("answer holds no candidates")
}

// geminiUsage counts thinking tokens as output, as they are billed, so that
// the figure matches OpenAI's completion_tokens, which includes reasoning.
func geminiUsage(u *genai.GenerateContentResponseUsageMetadata) Usage {
	if u == nil {
		return Usage{}
	}
	return Usage{
		InputTokens:  int(u.PromptTokenCount),
		OutputTokens: int(u.CandidatesTokenCount + u.ThoughtsTokenCount),
	}
}
