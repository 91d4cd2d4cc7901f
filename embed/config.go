package embed

import (
	"context"
	"fmt"
	"strings"
)

// Providers that New knows.
const (
	ProviderGloVe  = "glove"
	ProviderOpenAI = "openai"
	ProviderGemini = "gemini"
)

// Config selects and configures an embedder. The zero value is GloVe-SIF
// with no cache.
type Config struct {
	// Provider is "glove" (the default, offline), "openai" (any
	// OpenAI-compatible server) or "gemini".
	Provider string
	// Model, BaseURL, APIKey, Dimensions and TaskType configure the remote
	// providers; empty or zero means the provider's default. GloVe takes
	// none of them.
	Model      string
	BaseURL    string
	APIKey     string
	Dimensions int
	TaskType   string
	// CacheSize is the number of texts whose vectors are kept in an LRU
	// cache; 0 means no cache.
	CacheSize int
}

// New builds the embedder cfg describes. Remote providers may make one
// request to learn the vector size of a model they do not know.
func New(ctx context.Context, cfg Config) (Embedder, error) {
	e, err := newProvider(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.CacheSize < 0 {
		return nil, fmt.Errorf("embed: cache size %d is negative", cfg.CacheSize)
	}
	if cfg.CacheSize > 0 {
		return NewCache(e, cfg.CacheSize), nil
	}
	return e, nil
}

func newProvider(ctx context.Context, cfg Config) (Embedder, error) {
	switch strings.ToLower(cfg.Provider) {
	case "", ProviderGloVe:
		if cfg.Model != "" || cfg.BaseURL != "" || cfg.Dimensions != 0 || cfg.TaskType != "" {
			return nil, fmt.Errorf("embed: glove takes no model, URL, dimensions or task type (they are for openai and gemini)")
		}
		return NewGloVe()
	case ProviderOpenAI:
		return NewOpenAI(ctx, OpenAIConfig{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey, Model: cfg.Model, Dimensions: cfg.Dimensions})
	case ProviderGemini:
		return NewGemini(ctx, GeminiConfig{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey, Model: cfg.Model, Dimensions: cfg.Dimensions, TaskType: cfg.TaskType})
	default:
		return nil, fmt.Errorf("embed: unknown provider %q (want glove, openai or gemini)", cfg.Provider)
	}
}
