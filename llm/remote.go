package llm

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/steady-voice/steady/internal/remote"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/steady-voice/steady"
)

// generateOp names Generate in every error the backends return.
const generateOp = "llm.Generate"

// APIError is the cause (find it with errors.As) of the *steady.Error
// returned when a provider answers with an HTTP error status after any
// retries.
//
// It names the provider and the base URL because Steady may talk to several
// servers (a local Ollama and Gemini, say) and the operator must know which
// one failed. It never holds the API key.
type APIError struct {
	// Provider is "openai" (any OpenAI-compatible server) or "gemini".
	Provider string
	// BaseURL is the server's API root, without user info or query.
	BaseURL string
	// StatusCode is the HTTP status of the last attempt.
	StatusCode int
	// Message is the server's own explanation, shortened, possibly empty.
	Message string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s at %s: status %d", e.Provider, e.BaseURL, e.StatusCode)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// statusCode classifies an HTTP status for callers that decide between
// retrying later, fixing the configuration and giving up.
func statusCode(status int) steady.Code {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return steady.Unauthorized
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return steady.Unavailable
	case status >= 400:
		return steady.Invalid
	}
	return steady.Internal
}

// statusError builds the error for an HTTP error status, with the message
// tidied and the key scrubbed, because some servers quote the key they
// rejected.
func statusError(code steady.Code, provider, baseURL string, status int, message, apiKey string) error {
	apiErr := &APIError{
		Provider:   provider,
		BaseURL:    baseURL,
		StatusCode: status,
		Message:    remote.Tidy(message, apiKey),
	}
	return &steady.Error{Code: code, Op: generateOp, Err: apiErr}
}

// failure reports an error that is not an HTTP status (a refused
// connection, a cancelled context, a malformed answer). It keeps err for
// errors.Is and errors.As but scrubs the key from the text, so that no SDK
// message that happens to quote a request can leak it into a log.
func failure(code steady.Code, provider, baseURL, apiKey string, err error) error {
	// One line, shortened: the Gemini SDK quotes a whole undecodable body.
	cause := remote.Tidy(err.Error(), apiKey)
	msg := fmt.Sprintf("%s at %s: %s", provider, baseURL, cause)
	return &steady.Error{Code: code, Op: generateOp, Msg: msg, Err: err}
}

// transportFailure reports a request that got no HTTP answer: the server is
// unreachable, or the caller gave up.
func transportFailure(provider, baseURL, apiKey string, err error) error {
	return failure(steady.Unavailable, provider, baseURL, apiKey, err)
}

// parseBaseURL checks a configured base URL and returns the form shown in
// errors: without user info, query or fragment (where proxies put
// credentials) and without a trailing slash.
func parseBaseURL(provider, raw string) (*url.URL, string, error) {
	u, shown, err := remote.ParseBaseURL(raw)
	if err != nil {
		return nil, "", configError("%s base URL: %v", provider, err)
	}
	return u, shown, nil
}

// configOp names the constructors in configuration errors.
const configOp = "llm.New"

func configError(format string, args ...any) error {
	return steady.Errorf(steady.Invalid, configOp, format, args...)
}

// validateModel rejects a blank or padded model name (remote.BadModel).
func validateModel(provider, model string) error {
	if remote.BadModel(model) {
		return configError("%s: Model %q is blank or padded with white space", provider, model)
	}
	return nil
}

func validateRetries(provider string, retries int) error {
	switch {
	case retries < 0:
		return configError("%s: negative MaxRetries %d", provider, retries)
	case retries > remote.MaxRetries:
		return configError("%s: MaxRetries %d above %d", provider, retries, remote.MaxRetries)
	}
	return nil
}

// callID returns the provider's id for the i-th call of a reply or, when it
// gave none, "call_<i+1>": unique within the reply, which is all a caller
// needs to match results to calls, and the same on every run.
func callID(id string, i int) string {
	if id != "" {
		return id
	}
	return fmt.Sprintf("call_%d", i+1)
}

// argsObject checks that raw, the arguments of a tool call, is a JSON
// object, and returns "{}" for empty arguments, which servers send for tools
// without parameters.
func argsObject(raw []byte) (json.RawMessage, error) {
	trimmed := strings.TrimSpace(string(raw))
	if trimmed == "" {
		return json.RawMessage("{}"), nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(trimmed), &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("arguments are not a JSON object: %s", remote.Shorten(trimmed))
	}
	return json.RawMessage(trimmed), nil
}

// validateRequest rejects, before any request is sent, a conversation that
// every provider would reject with a less helpful message or that a
// backend could not map.
func validateRequest(req Request) error {
	if len(req.Messages) == 0 {
		return steady.Errorf(steady.Invalid, generateOp, "no messages")
	}
	if req.MaxTokens < 0 || req.MaxTokens > math.MaxInt32 {
		return steady.Errorf(steady.Invalid, generateOp, "MaxTokens %d out of range", req.MaxTokens)
	}
	for i, t := range req.Tools {
		if t.Name == "" {
			return steady.Errorf(steady.Invalid, generateOp, "tool %d has no name", i)
		}
	}
	for i, m := range req.Messages {
		if err := validateMessage(m); err != nil {
			return steady.Errorf(steady.Invalid, generateOp, "message %d: %w", i, err)
		}
	}
	return nil
}

func validateMessage(m Message) error {
	switch m.Role {
	case User:
		if m.Text == "" {
			return errors.New("user message without text")
		}
	case Assistant:
		if m.Text == "" && len(m.ToolCalls) == 0 {
			return errors.New("assistant message without text or tool calls")
		}
		return validateCalls(m.ToolCalls)
	case ToolRole:
		return validateResults(m.Results)
	default:
		return fmt.Errorf("role %q is not one of %s, %s, %s", m.Role, User, Assistant, ToolRole)
	}
	return nil
}

func validateCalls(calls []ToolCall) error {
	for j, c := range calls {
		if c.ID == "" || c.Name == "" {
			return fmt.Errorf("tool call %d: want an id and a name", j)
		}
		if _, err := argsObject(c.Args); err != nil {
			return fmt.Errorf("tool call %d (%s): %w", j, c.Name, err)
		}
	}
	return nil
}

func validateResults(results []ToolResult) error {
	if len(results) == 0 {
		return errors.New("tool message without results")
	}
	for j, r := range results {
		if r.CallID == "" || r.Name == "" {
			return fmt.Errorf("result %d: want a call id and a name", j)
		}
	}
	return nil
}
