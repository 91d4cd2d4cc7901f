package embed

import (
	"errors"
	"fmt"
	"github.com/steady-voice/steady/internal/remote"
	"math"
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

// newRemoteError builds a RemoteError with the message tidied and the key
// scrubbed, because some servers quote the key they rejected.
func newRemoteError(provider, baseURL string, status int, message, apiKey string) *RemoteError {
	return &RemoteError{
		Provider:   provider,
		BaseURL:    baseURL,
		StatusCode: status,
		Message:    remote.Tidy(message, apiKey),
	}
}

// remoteFailure reports an error that is not an HTTP status (a refused
// connection, a cancelled context, a malformed answer). It keeps err for
// errors.Is and errors.As but scrubs the key from the text, so that no SDK
// message that happens to quote a request can leak it into a log.
func remoteFailure(provider, baseURL, apiKey string, err error) error {
	msg := fmt.Sprintf("embed: %s at %s: %v", provider, baseURL, err)
	return &scrubbedError{msg: remote.Redact(msg, apiKey), err: err}
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
	_, shown, err := remote.ParseBaseURL(raw)
	if err != nil {
		return "", fmt.Errorf("embed: %s base URL: %w", provider, err)
	}
	return shown, nil
}

const (
	// probeText is what NewOpenAI and NewGemini embed, once, to learn the
	// vector length of a model they do not know.
	probeText = "hello"
)

// validateModel rejects a blank or padded model name (remote.BadModel).
func validateModel(provider, model string) error {
	if remote.BadModel(model) {
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
	case retries > remote.MaxRetries:
		return fmt.Errorf("embed: %s: MaxRetries %d above %d", provider, retries, remote.MaxRetries)
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
