package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/steady-voice/steady/embed"
)

// config is every global setting. Each is a flag whose default comes from an
// environment variable, so a deployment can be configured either way; the
// README's configuration table lists them all (a test keeps it complete).
type config struct {
	Data     string
	RedisURL string
	JSON     bool
	LogLevel string
	Embed    embed.Config
}

// setting is one flag, its variable, its built-in default and where it goes.
type setting struct {
	flag, env, def, usage string
	target                any // *string, *bool or *int
}

func (c *config) settings() []setting {
	return []setting{
		{"data", "STEADY_DATA", "./steady-data", "directory for the embedded stores (memory.db, traces.db)", &c.Data},
		{"redis", "STEADY_REDIS_URL", "", "Redis URL for the memory layer (redis://…); empty uses the embedded store", &c.RedisURL},
		{"json", "STEADY_JSON", "false", "print machine-readable JSON instead of tables", &c.JSON},
		{"log-level", "STEADY_LOG_LEVEL", "info", "log level: debug, info, warn or error", &c.LogLevel},
		{"embedder", "STEADY_EMBEDDER", "glove", "embedder: glove (offline), openai (any OpenAI-compatible server) or gemini", &c.Embed.Provider},
		{"embed-model", "STEADY_EMBED_MODEL", "", "embedding model (default: text-embedding-3-small for openai, gemini-embedding-001 for gemini)", &c.Embed.Model},
		{"embed-url", "STEADY_EMBED_URL", "", "base URL of the embedding server (e.g. http://localhost:11434/v1 for Ollama)", &c.Embed.BaseURL},
		{"embed-dimensions", "STEADY_EMBED_DIMENSIONS", "0", "vector size to ask the remote model for; 0 means the model's own", &c.Embed.Dimensions},
		{"embed-task", "STEADY_EMBED_TASK", "", "Gemini task type (default SEMANTIC_SIMILARITY)", &c.Embed.TaskType},
		{"embed-cache", "STEADY_EMBED_CACHE", "4096", "number of texts whose vectors are kept in memory; 0 turns the cache off", &c.Embed.CacheSize},
	}
}

// bind registers the flags on fs, with defaults taken from getenv. A
// variable that does not parse is an error, not silently ignored.
func (c *config) bind(fs *pflag.FlagSet, getenv func(string) string) error {
	for _, s := range c.settings() {
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		}
		usage := fmt.Sprintf("%s (env %s)", s.usage, s.env)
		switch p := s.target.(type) {
		case *string:
			fs.StringVar(p, s.flag, v, usage)
		case *bool:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s=%q: want true or false", s.env, v)
			}
			fs.BoolVar(p, s.flag, b, usage)
		case *int:
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s=%q: want a whole number", s.env, v)
			}
			fs.IntVar(p, s.flag, n, usage)
		}
	}
	return nil
}

// check validates the settings once flags are parsed.
func (c *config) check() error {
	switch {
	case c.Embed.Dimensions < 0:
		return fmt.Errorf("--embed-dimensions %d: want 0 or more", c.Embed.Dimensions)
	case c.Embed.CacheSize < 0:
		return fmt.Errorf("--embed-cache %d: want 0 or more", c.Embed.CacheSize)
	}
	switch c.Embed.Provider {
	case embed.ProviderGloVe, embed.ProviderOpenAI, embed.ProviderGemini:
		return nil
	}
	return fmt.Errorf("--embedder %q: want glove, openai or gemini", c.Embed.Provider)
}

// apiKeyVars are read in order for the remote embedder's key. Keys are never
// flags: a flag shows in the process list and in shell history.
var apiKeyVars = map[string][]string{
	embed.ProviderOpenAI: {"STEADY_EMBED_API_KEY", "OPENAI_API_KEY"},
	embed.ProviderGemini: {"STEADY_EMBED_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"},
}

func apiKey(provider string, getenv func(string) string) string {
	for _, name := range apiKeyVars[provider] {
		if v := getenv(name); v != "" {
			return v
		}
	}
	return ""
}
