package observe

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Preset names an OTLP/HTTP backend whose endpoint and auth Setup knows.
type Preset string

// The presets. PresetOTLP leaves endpoint and headers to the standard
// OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT and _HEADERS variables, which the
// otlptracehttp exporter reads itself, unless Export sets them.
const (
	PresetNone     Preset = ""
	PresetWeave    Preset = "weave"
	PresetLangfuse Preset = "langfuse"
	PresetPhoenix  Preset = "phoenix"
	PresetJaeger   Preset = "jaeger"
	PresetOTLP     Preset = "otlp"
)

// Default queue settings, per exporter.
const (
	DefaultQueueSize     = 2048
	DefaultBatchSize     = 512
	DefaultBatchInterval = time.Second
	DefaultExportTimeout = 30 * time.Second
)

// Export configures the OTLP/HTTP exporter. Its secrets (APIKey, SecretKey,
// Headers) are sent only as HTTP headers, never logged, put in errors or in
// span attributes.
type Export struct {
	Preset Preset
	// Endpoint is the backend's base URL (scheme, host, optional port, path
	// prefix such as https://acme.wandb.io/traces for dedicated W&B); empty
	// means the preset's default: https://trace.wandb.ai (weave),
	// https://cloud.langfuse.com (langfuse), http://localhost:6006
	// (phoenix), http://localhost (jaeger, port 4318 added when none). For
	// PresetOTLP it is the full traces URL.
	Endpoint string
	// Entity and Project name the W&B project (weave).
	Entity, Project string
	// APIKey is the W&B API key (weave).
	APIKey string
	// PublicKey and SecretKey are Langfuse's Basic auth pair.
	PublicKey, SecretKey string
	// Headers are extra HTTP headers, e.g. a Phoenix API key.
	Headers map[string]string
}

// String describes e without its secrets, so a logged config leaks none.
func (e Export) String() string {
	return fmt.Sprintf("observe.Export{Preset: %q, Endpoint: %q, Entity: %q, Project: %q, secrets: redacted}",
		e.Preset, e.Endpoint, e.Entity, e.Project)
}

// GoString is String, for %#v.
func (e Export) GoString() string { return e.String() }

// LogValue is String, for log/slog.
func (e Export) LogValue() slog.Value { return slog.StringValue(e.String()) }

// Config configures Setup. The zero value traces to nothing but still
// counts metrics.
type Config struct {
	ServiceName string // default "steady"
	Version     string
	// Exporters each get their own bounded queue, e.g. the embedded trace
	// store.
	Exporters []sdktrace.SpanExporter
	// Export adds an OTLP/HTTP exporter when Preset is set.
	Export Export
	// Capture is installed with SetCapture.
	Capture Capture
	// MetricReaders are attached to the MeterProvider (a Prometheus reader,
	// a ManualReader in tests).
	MetricReaders []sdkmetric.Reader
	// Queue settings per exporter; zero means the defaults. An exporter
	// holds at most 2×QueueSize spans (one buffer filling, one exporting);
	// beyond that spans are dropped and counted in Provider.Dropped.
	QueueSize, BatchSize         int
	BatchInterval, ExportTimeout time.Duration
}

// Provider owns the tracer and meter providers Setup built.
type Provider struct {
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
	queues []*queue
}

// Setup builds the tracer and meter providers and installs them, with
// cfg.Capture, as the ones Op uses (not as the global OpenTelemetry ones;
// the caller may do that with TracerProvider and MeterProvider).
func Setup(ctx context.Context, cfg Config) (*Provider, error) {
	exporters := cfg.Exporters
	if cfg.Export.Preset != PresetNone {
		exp, err := newOTLP(ctx, cfg.Export)
		if err != nil {
			return nil, err
		}
		exporters = append(exporters[:len(exporters):len(exporters)], exp)
	}
	res := newResource(cfg)
	p := &Provider{}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	for _, exp := range exporters {
		q := newQueue(exp, orInt(cfg.QueueSize, DefaultQueueSize), orInt(cfg.BatchSize, DefaultBatchSize),
			orDur(cfg.BatchInterval, DefaultBatchInterval), orDur(cfg.ExportTimeout, DefaultExportTimeout))
		p.queues = append(p.queues, q)
		opts = append(opts, sdktrace.WithSpanProcessor(q))
	}
	p.tp = sdktrace.NewTracerProvider(opts...)
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	for _, r := range cfg.MetricReaders {
		mopts = append(mopts, sdkmetric.WithReader(r))
	}
	p.mp = sdkmetric.NewMeterProvider(mopts...)
	update(func(state) (trace.TracerProvider, metric.MeterProvider, Capture) { return p.tp, p.mp, cfg.Capture })
	return p, nil
}

func newResource(cfg Config) *resource.Resource {
	name := cfg.ServiceName
	if name == "" {
		name = "steady"
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", name)}
	if cfg.Version != "" {
		attrs = append(attrs, attribute.String("service.version", cfg.Version))
	}
	if cfg.Export.Preset == PresetWeave {
		attrs = append(attrs, attribute.String("wandb.entity", cfg.Export.Entity),
			attribute.String("wandb.project", cfg.Export.Project))
	}
	// Schemaless, so it merges with any detector without a schema conflict.
	return resource.NewSchemaless(attrs...)
}

// ErrConfig reports an invalid export configuration.
var ErrConfig = errors.New("observe: invalid export config")

func newOTLP(ctx context.Context, e Export) (sdktrace.SpanExporter, error) {
	endpoint, headers, err := presetTarget(e)
	if err != nil {
		return nil, err
	}
	var opts []otlptracehttp.Option
	if endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(endpoint))
	}
	if len(headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(headers))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		// The exporter's errors never carry headers, so no secret leaks here.
		return nil, fmt.Errorf("observe: otlp exporter (%s): %w", e.Preset, err)
	}
	return exp, nil
}

// presetTarget returns the traces URL and headers for e's preset.
func presetTarget(e Export) (endpoint string, headers map[string]string, err error) {
	headers = make(map[string]string, len(e.Headers)+2)
	for k, v := range e.Headers {
		headers[k] = v
	}
	switch e.Preset {
	case PresetWeave:
		if e.APIKey == "" || e.Entity == "" || e.Project == "" {
			return "", nil, fmt.Errorf("%w: weave needs an API key, entity and project", ErrConfig)
		}
		// Weave routes by the wandb.entity/wandb.project resource
		// attributes; the project_id header is what its older docs ask for,
		// kept so either ingestion path accepts the spans.
		headers["wandb-api-key"] = e.APIKey
		headers["project_id"] = e.Entity + "/" + e.Project
		return join(or(e.Endpoint, "https://trace.wandb.ai"), "/otel/v1/traces"), headers, nil
	case PresetLangfuse:
		if e.PublicKey == "" || e.SecretKey == "" {
			return "", nil, fmt.Errorf("%w: langfuse needs a public and a secret key", ErrConfig)
		}
		auth := base64.StdEncoding.EncodeToString([]byte(e.PublicKey + ":" + e.SecretKey))
		headers["Authorization"] = "Basic " + auth
		return join(or(e.Endpoint, "https://cloud.langfuse.com"), "/api/public/otel/v1/traces"), headers, nil
	case PresetPhoenix:
		return join(or(e.Endpoint, "http://localhost:6006"), "/v1/traces"), headers, nil
	case PresetJaeger:
		base, err := withPort(or(e.Endpoint, "http://localhost"), "4318")
		return join(base, "/v1/traces"), headers, err
	case PresetOTLP:
		return e.Endpoint, headers, nil
	}
	return "", nil, fmt.Errorf("%w: unknown preset %q", ErrConfig, e.Preset)
}

// withPort adds port to base when it has none.
func withPort(base, port string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%w: endpoint is not a URL", ErrConfig)
	}
	if u.Port() == "" {
		u.Host += ":" + port
	}
	return u.String(), nil
}

func join(base, path string) string { return strings.TrimRight(base, "/") + path }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orInt(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

func orDur(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// TracerProvider returns the SDK tracer provider, e.g. to install globally.
func (p *Provider) TracerProvider() *sdktrace.TracerProvider { return p.tp }

// MeterProvider returns the SDK meter provider.
func (p *Provider) MeterProvider() *sdkmetric.MeterProvider { return p.mp }

// Dropped returns how many spans were dropped because an exporter's queue
// was full or its export failed, over all exporters.
func (p *Provider) Dropped() uint64 {
	var n uint64
	for _, q := range p.queues {
		n += q.dropped.Load()
	}
	return n
}

// ForceFlush exports every queued span, waiting until ctx is done at most.
func (p *Provider) ForceFlush(ctx context.Context) error {
	return p.tp.ForceFlush(ctx)
}

// Shutdown flushes and stops the providers, waiting until ctx is done at
// most; give it a deadline.
func (p *Provider) Shutdown(ctx context.Context) error {
	return errors.Join(p.tp.Shutdown(ctx), p.mp.Shutdown(ctx))
}
