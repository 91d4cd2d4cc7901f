package main

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"time"

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
	Memory   memoryConfig
	Trace    traceConfig
	Engine   engineConfig
	Server   serverConfig
}

// serverConfig is what steady serve takes from the settings. The admin
// token is not here: it is a secret, read from the environment only.
type serverConfig struct {
	Addr        string
	AdminEmails string // comma-separated
}

// engineConfig chooses what answers the user.
type engineConfig struct {
	Engine, Model, BaseURL string
}

// memoryConfig is what the memory service takes from the settings.
type memoryConfig struct {
	InterventionTTL, ReflectionTTL, SessionTTL time.Duration
	RecencyWeight, ScoreWeight                 float64
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
		{"intervention-ttl", "STEADY_INTERVENTION_TTL", "720h", "how long an intervention is remembered", &c.Memory.InterventionTTL},
		{"reflection-ttl", "STEADY_REFLECTION_TTL", "2160h", "how long a session reflection is remembered", &c.Memory.ReflectionTTL},
		{"session-ttl", "STEADY_SESSION_TTL", "24h", "how long a session's tool state lives after its last change", &c.Memory.SessionTTL},
		{"recency-weight", "STEADY_RECENCY_WEIGHT", "0", "search: bonus for recent interventions (halves every 7 days); 0 ranks by similarity only", &c.Memory.RecencyWeight},
		{"score-weight", "STEADY_SCORE_WEIGHT", "0", "search: bonus per point of effectiveness score; 0 ranks by similarity only", &c.Memory.ScoreWeight},
		{"trace-export", "STEADY_TRACE_EXPORT", "none", "also send traces over OTLP: none, weave, langfuse, phoenix, jaeger or otlp", &c.Trace.Export},
		{"trace-endpoint", "STEADY_TRACE_ENDPOINT", "", "base URL of the trace backend (default per preset; otlp reads OTEL_EXPORTER_OTLP_*)", &c.Trace.Endpoint},
		{"wandb-project", "STEADY_WANDB_PROJECT", "", "W&B Weave project as entity/project", &c.Trace.Project},
		{"engine", "STEADY_ENGINE", "auto", "what answers the user: offline, gemini, openai, or auto (a model when its API key is set, else offline)", &c.Engine.Engine},
		{"model", "STEADY_MODEL", "", "text model (default: gemini-2.5-flash for gemini, gpt-4o-mini for openai)", &c.Engine.Model},
		{"model-url", "STEADY_MODEL_URL", "", "base URL of the model server (e.g. http://localhost:11434/v1 for Ollama)", &c.Engine.BaseURL},
		{"trace-content", "STEADY_TRACE_CONTENT", "true", "record operations' inputs and outputs in traces (redacted, capped); false keeps only timing and status", &c.Trace.Content},
		{"addr", "STEADY_ADDR", "127.0.0.1:8080", "address steady serve listens on (host:port); the default is reachable from this machine only", &c.Server.Addr},
		{"admin-email", "STEADY_ADMIN_EMAIL", "", "emails of the accounts with the operator role, comma-separated", &c.Server.AdminEmails},
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
		case *float64:
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("%s=%q: want a number", s.env, v)
			}
			fs.Float64Var(p, s.flag, x, usage)
		case *time.Duration:
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s=%q: want a duration such as 720h or 90m", s.env, v)
			}
			fs.DurationVar(p, s.flag, d, usage)
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
	case c.Memory.InterventionTTL <= 0 || c.Memory.ReflectionTTL <= 0 || c.Memory.SessionTTL <= 0:
		return fmt.Errorf("--intervention-ttl, --reflection-ttl and --session-ttl must be positive")
	case c.Memory.RecencyWeight < 0 || c.Memory.ScoreWeight < 0 || math.IsNaN(c.Memory.RecencyWeight+c.Memory.ScoreWeight):
		return fmt.Errorf("--recency-weight and --score-weight must be 0 or more")
	}
	if _, _, err := net.SplitHostPort(c.Server.Addr); err != nil {
		return fmt.Errorf("--addr %q: want host:port, e.g. 127.0.0.1:8080", c.Server.Addr)
	}
	switch c.Engine.Engine {
	case "auto", "offline", "gemini", "openai":
	default:
		return fmt.Errorf("--engine %q: want offline, gemini, openai or auto", c.Engine.Engine)
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
	"model-openai":       {"STEADY_MODEL_API_KEY", "OPENAI_API_KEY"},
	"model-gemini":       {"STEADY_MODEL_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"},
}

func apiKey(provider string, getenv func(string) string) string {
	for _, name := range apiKeyVars[provider] {
		if v := getenv(name); v != "" {
			return v
		}
	}
	return ""
}
