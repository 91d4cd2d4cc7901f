package llm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/steady-voice/steady"
)

// Providers that New knows.
const (
	ProviderGemini = "gemini"
	ProviderOpenAI = "openai"
)

// ErrNoAPIKey is wrapped by the error New returns when a provider needs an
// API key and the config has none, so that a caller can fall back to its
// offline policy rather than fail.
var ErrNoAPIKey = errors.New("no API key")

// Config selects and configures a backend.
type Config struct {
	// Provider is "gemini" or "openai" (any OpenAI-compatible server).
	Provider string
	// Model, BaseURL and APIKey configure the provider; empty means the
	// provider's default (no default for APIKey).
	Model   string
	BaseURL string
	// APIKey is required, except for an OpenAI-compatible server on this
	// machine (Ollama, LM Studio), which usually needs none.
	APIKey string
}

// New builds the backend cfg describes. It makes no request.
func New(ctx context.Context, cfg Config) (Model, error) {
	switch strings.ToLower(cfg.Provider) {
	case ProviderGemini:
		if cfg.APIKey == "" {
			return nil, noKey(ProviderGemini)
		}
		return NewGemini(ctx, GeminiConfig{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey, Model: cfg.Model})
	case ProviderOpenAI:
		if cfg.APIKey == "" && !isLoopback(cfg.BaseURL) {
			return nil, noKey(ProviderOpenAI)
		}
		return NewOpenAI(OpenAIConfig{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey, Model: cfg.Model})
	default:
		return nil, steady.Errorf(steady.Invalid, configOp, "unknown provider %q (want %s or %s)", cfg.Provider, ProviderGemini, ProviderOpenAI)
	}
}

func noKey(provider string) error {
	return steady.Errorf(steady.Invalid, configOp, "%w: %s needs an API key (only an OpenAI-compatible server on localhost may go without)", ErrNoAPIKey, provider)
}

// isLoopback reports whether raw names a server on this machine: a key
// there protects nothing, while a key-less request anywhere else would
// only fail later with a 401.
func isLoopback(raw string) bool {
	if raw == "" {
		return false
	}
	u, _, err := parseBaseURL(ProviderOpenAI, raw)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String describes cfg for logs: without the key, and without the user
// info and query of the base URL, where proxies put credentials.
func (c Config) String() string {
	key := "unset"
	if c.APIKey != "" {
		key = "set"
	}
	return fmt.Sprintf("llm.Config{Provider: %q, Model: %q, BaseURL: %q, APIKey: %s}", c.Provider, c.Model, shownURL(c.BaseURL), key)
}

func shownURL(raw string) string {
	if raw == "" {
		return ""
	}
	if _, shown, err := parseBaseURL("", raw); err == nil {
		return shown
	}
	return "(invalid)"
}
