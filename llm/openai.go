package llm

import (
	"context"
	"errors"
	"fmt"
	"github.com/steady-voice/steady/internal/remote"
	"io"
	"net/http"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"github.com/steady-voice/steady"
)

const (
	openAIProvider       = "openai"
	openAIDefaultBaseURL = "https://api.openai.com/v1"
	openAIDefaultModel   = "gpt-4o-mini"
	openAIDefaultRetries = 3
	// openAIHost is where max_tokens is rejected by the newer models.
	openAIHost = "api.openai.com"
	// maxErrorBody bounds how much of an error response is read.
	maxErrorBody = 64 << 10
	// toolErrorPrefix marks a failed tool's result: Chat Completions has
	// no error flag on tool messages, so the model learns it from the text.
	toolErrorPrefix = "Error: "
)

var _ Model = (*OpenAI)(nil)

// OpenAIConfig configures a backend for any server that speaks the OpenAI
// Chat Completions API with tools (POST {BaseURL}/chat/completions):
// OpenAI, Ollama, vLLM, LM Studio.
type OpenAIConfig struct {
	// BaseURL is the API root including its version, e.g.
	// "http://localhost:11434/v1" for Ollama. Default
	// "https://api.openai.com/v1".
	BaseURL string
	// APIKey is sent as a bearer token. Local servers usually need none; it
	// is never read from the environment.
	APIKey string
	// Model names the chat model. Default "gpt-4o-mini".
	Model string
	// MaxRetries is how often a request that failed with 408, 409, 429, a
	// 5xx status or a broken connection is repeated, with exponential
	// backoff (0.5s doubling, at most 8s) that honours the Retry-After and
	// retry-after-ms headers. Other statuses (400, 401, 403…) are never
	// retried. Default 3 (0 means the default); at most 20.
	MaxRetries int
	// HTTPClient carries the requests if set (proxies, custom TLS).
	HTTPClient *http.Client
}

// OpenAI generates replies with an OpenAI-compatible server. It is safe for
// concurrent use.
type OpenAI struct {
	client  openai.Client
	model   string
	baseURL string // for error messages: no credentials in it
	apiKey  string // kept only to scrub it from error text
	// completionTokens sends max_completion_tokens instead of max_tokens:
	// OpenAI's reasoning models reject max_tokens, while many compatible
	// servers know only max_tokens.
	completionTokens bool
}

// NewOpenAI returns a backend for cfg. It makes no request.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	cfg = cfg.withDefaults()
	if err := validateModel(openAIProvider, cfg.Model); err != nil {
		return nil, err
	}
	if err := validateRetries(openAIProvider, cfg.MaxRetries); err != nil {
		return nil, err
	}
	u, shown, err := parseBaseURL(openAIProvider, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	return &OpenAI{
		client:           openai.NewClient(cfg.options()...),
		model:            cfg.Model,
		baseURL:          shown,
		apiKey:           cfg.APIKey,
		completionTokens: u.Hostname() == openAIHost,
	}, nil
}

func (c OpenAIConfig) withDefaults() OpenAIConfig {
	if c.BaseURL == "" {
		c.BaseURL = openAIDefaultBaseURL
	}
	if c.Model == "" {
		c.Model = openAIDefaultModel
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = openAIDefaultRetries
	}
	return c
}

func (c OpenAIConfig) options() []option.RequestOption {
	opts := []option.RequestOption{
		option.WithBaseURL(c.BaseURL),
		// Set even when empty: the SDK would otherwise send OPENAI_API_KEY
		// from the environment to whatever server BaseURL names.
		option.WithAPIKey(c.APIKey),
		option.WithMaxRetries(c.MaxRetries),
	}
	if c.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(c.HTTPClient))
	}
	return opts
}

// Name implements Model: "openai/<model>".
func (o *OpenAI) Name() string { return openAIProvider + "/" + o.model }

// Generate implements Model.
func (o *OpenAI) Generate(ctx context.Context, req Request) (Response, error) {
	if err := validateRequest(req); err != nil {
		return Response{}, err
	}
	var raw *http.Response
	res, err := o.client.Chat.Completions.New(ctx, o.params(req), option.WithResponseInto(&raw))
	if err != nil {
		return Response{}, o.failure(ctx, raw, err)
	}
	out, err := openAIResponse(res)
	if err != nil {
		return Response{}, failure(steady.Internal, openAIProvider, o.baseURL, o.apiKey, err)
	}
	return out, nil
}

func (o *OpenAI) params(req Request) openai.ChatCompletionNewParams {
	p := openai.ChatCompletionNewParams{
		Model:    o.model,
		Messages: openAIMessages(req.System, req.Messages),
		Tools:    OpenAITools(req.Tools),
	}
	if req.Temperature != nil {
		p.Temperature = openai.Float(*req.Temperature)
	}
	switch {
	case req.MaxTokens > 0 && o.completionTokens:
		p.MaxCompletionTokens = openai.Int(int64(req.MaxTokens))
	case req.MaxTokens > 0:
		p.MaxTokens = openai.Int(int64(req.MaxTokens))
	}
	return p
}

// failure turns an SDK error into one that names the server. Status and
// message come from the raw response, not from openai.Error: the SDK cannot
// decode Ollama's {"error":"…"} and then returns a bare JSON error that has
// lost the status.
func (o *OpenAI) failure(ctx context.Context, raw *http.Response, err error) error {
	if ctx.Err() != nil || raw == nil {
		return transportFailure(openAIProvider, o.baseURL, o.apiKey, err)
	}
	if raw.StatusCode < http.StatusBadRequest {
		// A 2xx answer the SDK could not decode.
		return failure(steady.Internal, openAIProvider, o.baseURL, o.apiKey, err)
	}
	body, _ := io.ReadAll(io.LimitReader(raw.Body, maxErrorBody))
	return statusError(statusCode(raw.StatusCode), openAIProvider, o.baseURL, raw.StatusCode, remote.ErrorMessage(body), o.apiKey)
}

// OpenAITools converts tools into Chat Completions function tools, exactly
// as the backend sends them. Parameters pass through unchanged: the API
// takes JSON Schema as it is. A tool without parameters gets an empty
// object schema, which every compatible server accepts, where some reject a
// function without "parameters".
func OpenAITools(tools []Tool) []openai.ChatCompletionToolUnionParam {
	if len(tools) == 0 {
		return nil
	}
	out := make([]openai.ChatCompletionToolUnionParam, len(tools))
	for i, t := range tools {
		fn := shared.FunctionDefinitionParam{Name: t.Name, Parameters: shared.FunctionParameters(t.Parameters)}
		if t.Description != "" {
			fn.Description = openai.String(t.Description)
		}
		if fn.Parameters == nil {
			fn.Parameters = shared.FunctionParameters{"type": "object", "properties": map[string]any{}}
		}
		out[i] = openai.ChatCompletionFunctionTool(fn)
	}
	return out
}

// openAIMessages maps the conversation: the system instruction first, then
// one message per turn, except that each tool result becomes its own
// "tool" message, as the API wants one per tool_call_id.
func openAIMessages(system string, msgs []Message) []openai.ChatCompletionMessageParamUnion {
	var out []openai.ChatCompletionMessageParamUnion
	if system != "" {
		out = append(out, openai.SystemMessage(system))
	}
	for _, m := range msgs {
		switch m.Role {
		case User:
			out = append(out, openai.UserMessage(m.Text))
		case Assistant:
			out = append(out, openAIAssistant(m))
		case ToolRole:
			for _, r := range m.Results {
				out = append(out, openai.ToolMessage(toolContent(r), r.CallID))
			}
		}
	}
	return out
}

func openAIAssistant(m Message) openai.ChatCompletionMessageParamUnion {
	a := openai.ChatCompletionAssistantMessageParam{}
	if m.Text != "" {
		a.Content.OfString = openai.String(m.Text)
	}
	for _, c := range m.ToolCalls {
		args, _ := argsObject(c.Args) // validated by validateRequest
		a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
			OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
				ID: c.ID,
				Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{
					Name:      c.Name,
					Arguments: string(args),
				},
			},
		})
	}
	return openai.ChatCompletionMessageParamUnion{OfAssistant: &a}
}

func toolContent(r ToolResult) string {
	if r.IsError {
		return toolErrorPrefix + r.Result
	}
	return r.Result
}

// openAIResponse reads the first choice, the only one asked for.
func openAIResponse(res *openai.ChatCompletion) (Response, error) {
	if len(res.Choices) == 0 {
		return Response{}, errors.New("answer holds no choices")
	}
	choice := res.Choices[0]
	calls, err := openAICalls(choice.Message.ToolCalls)
	if err != nil {
		return Response{}, err
	}
	text := choice.Message.Content
	if text == "" {
		// A refusal is the model's reply; dropping it would leave the
		// caller with an empty answer and no reason.
		text = choice.Message.Refusal
	}
	return Response{
		Text:         text,
		ToolCalls:    calls,
		FinishReason: choice.FinishReason,
		Usage: Usage{
			InputTokens:  int(res.Usage.PromptTokens),
			OutputTokens: int(res.Usage.CompletionTokens),
		},
	}, nil
}

func openAICalls(calls []openai.ChatCompletionMessageToolCallUnion) ([]ToolCall, error) {
	var out []ToolCall
	for i, c := range calls {
		if c.Type != "" && c.Type != "function" {
			return nil, fmt.Errorf("tool call %d has type %q, want function", i, c.Type)
		}
		args, err := argsObject([]byte(c.Function.Arguments))
		if err != nil {
			return nil, fmt.Errorf("tool call %q: %w", c.Function.Name, err)
		}
		if c.Function.Name == "" {
			return nil, fmt.Errorf("tool call %d has no name", i)
		}
		out = append(out, ToolCall{ID: callID(c.ID, i), Name: c.Function.Name, Args: args})
	}
	return out, nil
}
