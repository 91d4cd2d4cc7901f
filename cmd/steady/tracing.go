package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	nooptrace "go.opentelemetry.io/otel/trace/noop"

	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/observe/tracestore"
)

// traceConfig is what the observability layer takes from the settings.
type traceConfig struct {
	Export   string // "", weave, langfuse, phoenix, jaeger, otlp
	Endpoint string
	Project  string // W&B "entity/project"
	Content  bool
}

// untraced commands print help or the version and touch no store; bench
// measures tracing itself, and its hundred thousand spans have no place in
// the user's traces.db.
var untraced = map[string]bool{"version": true, "help": true, "completion": true, "__complete": true, "bench": true}

// unwrapped commands trace their work but are not one op themselves: they
// run for long and do many independent things (requests, turns, simulated
// sessions), each of which should be its own trace, not one branch of a
// trace as long as the process.
var unwrapped = map[string]bool{"serve": true, "chat": true, "sim": true}

// setupTracing opens the trace store under --data and installs the tracer
// for the command's operations, adding an OTLP exporter when configured.
func (a *app) setupTracing(ctx context.Context, cmd *cobra.Command) error {
	if untraced[cmd.Name()] || cmd.Parent() != nil && untraced[cmd.Parent().Name()] {
		return nil
	}
	export, err := a.exportConfig()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(a.cfg.Data, 0o700); err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	st, err := tracestore.Open(ctx, filepath.Join(a.cfg.Data, "traces.db"), tracestore.Options{})
	if err != nil {
		return err
	}
	p, err := observe.Setup(ctx, observe.Config{Version: buildVersion().Version,
		Exporters: []sdktrace.SpanExporter{st}, Export: export,
		Capture: observe.Capture{Disabled: !a.cfg.Trace.Content}})
	if err != nil {
		st.Close()
		return err
	}
	a.traces, a.tracing = st, p
	return nil
}

// exportConfig reads the OTLP export settings; keys come only from the
// environment.
func (a *app) exportConfig() (observe.Export, error) {
	t := a.cfg.Trace
	e := observe.Export{Preset: observe.Preset(strings.ToLower(t.Export)), Endpoint: t.Endpoint}
	switch e.Preset {
	case observe.PresetNone, "none":
		return observe.Export{}, nil
	case observe.PresetWeave:
		e.APIKey = a.getenv("WANDB_API_KEY")
		if entity, project, ok := strings.Cut(t.Project, "/"); ok {
			e.Entity, e.Project = entity, project
		} else {
			return e, fmt.Errorf("--wandb-project %q: want entity/project", t.Project)
		}
	case observe.PresetLangfuse:
		e.PublicKey, e.SecretKey = a.getenv("LANGFUSE_PUBLIC_KEY"), a.getenv("LANGFUSE_SECRET_KEY")
	case observe.PresetPhoenix, observe.PresetJaeger, observe.PresetOTLP:
	default:
		return e, fmt.Errorf("--trace-export %q: want none, weave, langfuse, phoenix, jaeger or otlp", t.Export)
	}
	return e, nil
}

// closeTracing flushes what the command traced and closes the store. The
// flush is bounded: a slow exporter loses spans, never the command.
func (a *app) closeTracing() error {
	if a.tracing == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := a.tracing.Shutdown(ctx)
	if n := a.tracing.Dropped(); n > 0 {
		a.log.Warn("spans dropped", "count", n)
	}
	observe.SetTracerProvider(nooptrace.NewTracerProvider())
	observe.SetMeterProvider(noopmetric.NewMeterProvider())
	err = errors.Join(err, a.traces.Close())
	a.tracing, a.traces = nil, nil
	return err
}

// traceCommands makes every command's run a traced call, the root of the
// trace its operations form.
func traceCommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		traceCommands(sub)
	}
	run := c.RunE
	if run == nil || untraced[c.Name()] || unwrapped[c.Name()] {
		return
	}
	name := "steady." + strings.ReplaceAll(strings.TrimPrefix(c.CommandPath(), "steady "), " ", ".")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		_, err := observe.Op(name, func(ctx context.Context, args []string) (struct{}, error) {
			cmd.SetContext(ctx)
			return struct{}{}, run(cmd, args)
		}, observe.Kind("CHAIN"))(cmd.Context(), args)
		return err
	}
}
