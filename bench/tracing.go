package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"time"

	noopmetric "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	nooptrace "go.opentelemetry.io/otel/trace/noop"

	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/observe/tracestore"
)

// TracingConfig is the tracing section.
type TracingConfig struct {
	Dir      string // where the trace store is made
	Embedder embed.Embedder
	Plan     Plan // TracingRounds, TracingCalls
	Progress Progress
}

// TracingResult compares one function called plainly and wrapped in
// observe.Op, tracing into the embedded trace store as every Steady
// command does, with inputs and outputs captured (the default).
type TracingResult struct {
	Function     string  `json:"function"`
	Sink         string  `json:"sink"`
	Calls        int     `json:"calls"` // per variant
	UntracedUs   float64 `json:"untraced_us"`
	TracedUs     float64 `json:"traced_us"`
	OverheadUs   float64 `json:"overhead_us"`
	Ratio        float64 `json:"ratio"` // traced / untraced
	SpansDropped uint64  `json:"spans_dropped"`
}

// Tracing times rounds of calls of one function, untraced and traced in
// turn so both see the same drift of a shared machine, and reports the
// median round of each. A round is no longer than the span queue and the
// queue is flushed between rounds (outside the timing), so spans are
// stored rather than dropped: the figure is what tracing costs when it
// keeps up, not the cheaper cost of dropping.
func Tracing(ctx context.Context, cfg TracingConfig) (res TracingResult, err error) {
	p := cfg.Plan
	res = TracingResult{Function: "GloVe-SIF embedding of one utterance", Sink: "tracestore, capture on", Calls: p.TracingRounds * p.TracingCalls}
	dir, err := os.MkdirTemp(cfg.Dir, "tracing-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	st, err := tracestore.Open(ctx, filepath.Join(dir, "traces.db"), tracestore.Options{})
	if err != nil {
		return res, err
	}
	defer st.Close()
	prov, err := observe.Setup(ctx, observe.Config{Exporters: []sdktrace.SpanExporter{st}})
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, untrace(prov)) }()
	untraced, traced, err := timeRounds(ctx, cfg, prov)
	if err != nil {
		return res, err
	}
	res.UntracedUs, res.TracedUs = untraced, traced
	res.OverheadUs, res.Ratio = traced-untraced, traced/untraced
	res.SpansDropped = prov.Dropped()
	return res, nil
}

func timeRounds(ctx context.Context, cfg TracingConfig, prov *observe.Provider) (untraced, traced float64, err error) {
	texts := situationTexts()
	plain := func(ctx context.Context, text string) (int, error) {
		v, err := cfg.Embedder.Embed(ctx, []string{text})
		if err != nil {
			return 0, err
		}
		return len(v[0]), nil
	}
	op := observe.Op("bench.embed", plain, observe.Kind("EMBEDDING"))
	// As in a request: the user and session label every span.
	ctx = observe.WithAttributes(ctx, map[string]any{"user_id": "bench", "session_id": "bench"})
	p := cfg.Plan
	m := newMeter(cfg.Progress, "tracing", 2*p.TracingRounds)
	var u, t []float64
	for range p.TracingRounds {
		a, err := perCall(ctx, plain, texts, p.TracingCalls)
		if err != nil {
			return 0, 0, err
		}
		b, err := perCall(ctx, op, texts, p.TracingCalls)
		if err != nil {
			return 0, 0, err
		}
		if err := prov.ForceFlush(ctx); err != nil {
			return 0, 0, err
		}
		u, t = append(u, a), append(t, b)
		m.add(2)
	}
	return median(u), median(t), nil
}

// perCall is the mean duration of one call of f over n calls, in µs.
func perCall(ctx context.Context, f func(context.Context, string) (int, error), texts []string, n int) (float64, error) {
	start := time.Now()
	for i := range n {
		if _, err := f(ctx, texts[i%len(texts)]); err != nil {
			return 0, err
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n) / 1000, nil
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// untrace flushes and stops the provider and puts back the no-op tracer
// and meter, as a command does when it ends: Op then costs nothing again.
func untrace(p *observe.Provider) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := p.Shutdown(ctx)
	observe.SetTracerProvider(nooptrace.NewTracerProvider())
	observe.SetMeterProvider(noopmetric.NewMeterProvider())
	return err
}
