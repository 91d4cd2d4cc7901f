package embed

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"unicode/utf8"
)

// RemoteError is returned (wrapped) when a remote embedding service answers
// with an HTTP error status after any retries. Test with errors.As.
//
// It names the provider and the base URL because Steady may talk to several
// servers (a local Ollama and OpenAI, say) and the operator must know which
// one failed. It never holds the API key.
type RemoteError struct {
	// Provider is "openai" (any OpenAI-compatible server) or "gemini".
	Provider string
	// BaseURL is the server's API root, without user info or query.
	BaseURL string
	// StatusCode is the HTTP status of the last attempt.
	StatusCode int
	// Message is the server's own explanation, shortened, possibly empty.
	Message string
}

func (e *RemoteError) Error() string {
	s := fmt.Sprintf("embed: %s at %s: status %d", e.Provider, e.BaseURL, e.StatusCode)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// maxMessageBytes bounds the server text kept in a RemoteError: a proxy in
// front of the service may answer with a whole HTML page.
const maxMessageBytes = 300

// newRemoteError builds a RemoteError with the message tidied and the key
// scrubbed, because some servers quote the key they rejected.
func newRemoteError(provider, baseURL string, status int, message, apiKey string) *RemoteError {
	return &RemoteError{
		Provider:   provider,
		BaseURL:    baseURL,
		StatusCode: status,
		Message:    shorten(redact(strings.Join(strings.Fields(message), " "), apiKey)),
	}
}

// errorMessage extracts the explanation from an error body in any of the
// shapes OpenAI-compatible servers use: {"error":{"message":…}} (OpenAI,
// LM Studio, vLLM), {"error":"…"} (Ollama, TEI), {"message":…} (older vLLM)
// or plain text.
func errorMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil {
		return string(body)
	}
	var nested struct {
		Message string `json:"message"`
	}
	var flat string
	switch {
	case json.Unmarshal(v.Error, &nested) == nil && nested.Message != "":
		return nested.Message
	case json.Unmarshal(v.Error, &flat) == nil && flat != "":
		return flat
	case v.Message != "":
		return v.Message
	}
	return string(body)
}

func shorten(s string) string {
	if len(s) <= maxMessageBytes {
		return s
	}
	cut := maxMessageBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// minSecretLen is the shortest API key that is scrubbed from error text.
// Shorter "keys" are placeholders ("x", "sk") that local servers ignore;
// scrubbing them would garble every message and protect nothing.
const minSecretLen = 4

func redact(s, secret string) string {
	if len(secret) < minSecretLen {
		return s
	}
	return strings.ReplaceAll(s, secret, "[redacted]")
}

// remoteFailure reports an error that is not an HTTP status (a refused
// connection, a cancelled context, a malformed answer). It keeps err for
// errors.Is and errors.As but scrubs the key from the text, so that no SDK
// message that happens to quote a request can leak it into a log.
func remoteFailure(provider, baseURL, apiKey string, err error) error {
	msg := fmt.Sprintf("embed: %s at %s: %v", provider, baseURL, err)
	return &scrubbedError{msg: redact(msg, apiKey), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// parseBaseURL checks a configured base URL and returns the form shown in
// errors: without user info, query or fragment (where proxies put
// credentials) and without a trailing slash.
func parseBaseURL(provider, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// Unwrapped: *url.Error quotes the whole URL, password and all.
		return "", fmt.Errorf("embed: %s base URL: %w", provider, errors.Unwrap(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("embed: %s base URL %q: want http:// or https:// and a host", provider, u.Redacted())
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return strings.TrimSuffix(u.String(), "/"), nil
}

const (
	// maxRetriesLimit keeps a typo in a config file from turning one failed
	// request into an hour of backoff.
	maxRetriesLimit = 20
	// probeText is what NewOpenAI and NewGemini embed, once, to learn the
	// vector length of a model they do not know.
	probeText = "hello"
)

// validateModel rejects a blank or padded model name, usually a stray space
// or newline from an environment file, which the server would reject with a
// less helpful message.
func validateModel(provider, model string) error {
	if model == "" || strings.TrimSpace(model) != model {
		return fmt.Errorf("embed: %s: Model %q is blank or padded with white space", provider, model)
	}
	return nil
}

// validateCommon checks the numeric settings both remote embedders share.
func validateCommon(provider string, dims, batch, maxBatch, retries int) error {
	switch {
	case dims < 0:
		return fmt.Errorf("embed: %s: negative Dimensions %d", provider, dims)
	case batch < 0:
		return fmt.Errorf("embed: %s: negative BatchSize %d", provider, batch)
	case batch > maxBatch:
		return fmt.Errorf("embed: %s: BatchSize %d above the API's limit of %d", provider, batch, maxBatch)
	case retries < 0:
		return fmt.Errorf("embed: %s: negative MaxRetries %d", provider, retries)
	case retries > maxRetriesLimit:
		return fmt.Errorf("embed: %s: MaxRetries %d above %d", provider, retries, maxRetriesLimit)
	}
	return nil
}

// unitVector checks one vector from a server and scales it to unit length.
// Servers disagree on normalisation (local ones often return raw vectors,
// Gemini's shortened ones are not unit length), so every vector is
// normalised here; a zero, NaN or wrong-length vector is a server fault that
// must not reach the store, where it would silently match nothing.
func unitVector(v []float32, dims int) ([]float32, error) {
	if len(v) != dims {
		return nil, fmt.Errorf("vector of length %d, want %d", len(v), dims)
	}
	var nonzero bool
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("vector holds %v", x)
		}
		nonzero = nonzero || x != 0
	}
	if !nonzero {
		return nil, errors.New("zero vector")
	}
	Normalize(v)
	return v, nil
}

// sanitizeAll returns texts with invalid UTF-8 replaced, leaving the
// caller's slice alone.
func sanitizeAll(texts []string) []string {
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = sanitize(t)
	}
	return out
}

// chunks splits n items into consecutive [start, end) ranges of at most size.
func chunks(n, size int) [][2]int {
	var out [][2]int
	for start := 0; start < n; start += size {
		out = append(out, [2]int{start, min(start+size, n)})
	}
	return out
}
