package llm_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/llm"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		cfg      llm.Config
		wantName string
	}{
		{"gemini", llm.Config{Provider: "gemini", APIKey: testGeminiKey}, "gemini/gemini-2.5-flash"},
		{"gemini, case-insensitive", llm.Config{Provider: "Gemini", APIKey: testGeminiKey, Model: "gemini-2.5-pro"}, "gemini/gemini-2.5-pro"},
		{"openai", llm.Config{Provider: "openai", APIKey: testOpenAIKey}, "openai/gpt-4o-mini"},
		{"ollama on localhost, no key", llm.Config{Provider: "openai", BaseURL: "http://localhost:11434/v1", Model: "llama3.2"}, "openai/llama3.2"},
		{"loopback IPv4, no key", llm.Config{Provider: "openai", BaseURL: "http://127.0.0.1:8000/v1"}, "openai/gpt-4o-mini"},
		{"loopback IPv6, no key", llm.Config{Provider: "openai", BaseURL: "http://[::1]:1234/v1"}, "openai/gpt-4o-mini"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := llm.New(t.Context(), tt.cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if m.Name() != tt.wantName {
				t.Errorf("got Name %q, want %q", m.Name(), tt.wantName)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name  string
		cfg   llm.Config
		want  string
		noKey bool
	}{
		{"no provider", llm.Config{}, `unknown provider "" (want gemini or openai)`, false},
		{"unknown provider", llm.Config{Provider: "anthropic", APIKey: "k-123456"}, `unknown provider "anthropic" (want gemini or openai)`, false},
		{"gemini without key", llm.Config{Provider: "gemini"}, "gemini needs an API key", true},
		{"openai without key", llm.Config{Provider: "openai"}, "openai needs an API key", true},
		{"remote server without key", llm.Config{Provider: "openai", BaseURL: "http://10.0.0.5:11434/v1"}, "openai needs an API key", true},
		{"look-alike host without key", llm.Config{Provider: "openai", BaseURL: "http://localhost.example.com/v1"}, "openai needs an API key", true},
		{"bad model", llm.Config{Provider: "openai", APIKey: testOpenAIKey, Model: " x"}, "padded with white space", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := llm.New(t.Context(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got model %v, error %v; want an error containing %q", m, err, tt.want)
			}
			if got := errors.Is(err, llm.ErrNoAPIKey); got != tt.noKey {
				t.Errorf("got errors.Is(err, ErrNoAPIKey) %v, want %v", got, tt.noKey)
			}
			if !steady.Is(err, steady.Invalid) {
				t.Errorf("got code %q, want %q", steady.ErrorCode(err), steady.Invalid)
			}
		})
	}
}

func TestConfigStringHidesSecrets(t *testing.T) {
	cfg := llm.Config{Provider: "openai", Model: "m", BaseURL: "https://user:pa55word@proxy.example.com/v1?token=t0ken", APIKey: testOpenAIKey}
	got := fmt.Sprint(cfg)
	want := `llm.Config{Provider: "openai", Model: "m", BaseURL: "https://proxy.example.com/v1", APIKey: set}`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
