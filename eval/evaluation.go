package eval

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	steady "github.com/steady-voice/steady"
	"github.com/steady-voice/steady/observe"
)

// DefaultConcurrency is how many rows run at once when Evaluation leaves
// Concurrency zero: enough to overlap model latency, few enough not to trip
// a provider's rate limit.
const DefaultConcurrency = 4

// tracerName is the instrumentation scope of the runner's spans.
const tracerName = "github.com/steady-voice/steady/eval"

// Model answers one example. It must be safe for concurrent use.
type Model func(context.Context, Example) (Output, error)

// Evaluation runs a model over a dataset and scores every row.
type Evaluation struct {
	Dataset []Example
	Scorers []Scorer // names must be unique
	// Concurrency bounds the rows in flight; ≤ 0 means DefaultConcurrency.
	Concurrency int
}

// RunOptions tunes one run; the zero value is ready to use.
type RunOptions struct {
	ID   string // the run's id; a new UUIDv7 when empty
	Name string // a label for people ("gemini-2.5-flash, prompt v3")
	// TracerProvider receives the run's spans; nil means
	// otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// Progress, when set, is called after each row with the rows done so
	// far and the total. Calls never overlap and done only grows, so a
	// progress bar can draw without locking.
	Progress func(done, total int)
	// Now reads the clock for start/end times and latency; nil means
	// time.Now.
	Now func() time.Time
}

// Run is the outcome of an Evaluation: one Row per example, in dataset
// order, and their Summary.
type Run struct {
	ID       string    `json:"id"`
	Name     string    `json:"name,omitempty"`
	Scorers  []string  `json:"scorers"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Rows     []Row     `json:"rows"`
	Summary  Summary   `json:"summary"`
}

// Row is one example's output and scores. Errors are kept as text so that
// a run survives being stored and loaded again.
type Row struct {
	Example Example `json:"example"`
	Output  Output  `json:"output"`
	// Error is the model's error; when set, no scorer ran on the row.
	Error string `json:"error,omitempty"`
	// Scores holds each scorer's result by scorer name; a scorer that
	// failed appears in ScoreErrors instead.
	Scores      map[string]Result `json:"scores,omitempty"`
	ScoreErrors map[string]string `json:"score_errors,omitempty"`
	TraceID     string            `json:"trace_id,omitempty"`
	SpanID      string            `json:"span_id,omitempty"` // the row's "eval.row" span
}

// Run runs model over every example, at most Concurrency at a time, and
// scores each output with every scorer. A model or scorer error is recorded
// on its row and never stops the run; canceling ctx does, and Run then
// returns ctx.Err() and no run. The whole run is one trace: an "eval.run"
// span whose children are the "eval.row" spans, each the parent of an
// "eval.model" span and one "eval.score.<name>" span per scorer.
func (e *Evaluation) Run(ctx context.Context, model Model, opts RunOptions) (*Run, error) {
	if err := e.check(model); err != nil {
		return nil, err
	}
	r := newRunner(e, model, opts)
	run := &Run{ID: opts.ID, Name: opts.Name, Scorers: scorerNames(e.Scorers), Started: r.now()}
	if run.ID == "" {
		run.ID = uuid.Must(uuid.NewV7()).String()
	}
	ctx, span := r.tracer.Start(ctx, "eval.run", trace.WithAttributes(
		attribute.String(observe.AttrSpanKind, "CHAIN"),
		attribute.String("eval.run.id", run.ID),
		attribute.Int("eval.rows", len(e.Dataset))))
	defer span.End()
	setJSON(span, observe.AttrInputValue, observe.AttrInputMimeType, map[string]any{"name": run.Name, "rows": len(e.Dataset), "scorers": run.Scorers})
	rows, err := r.runAll(ctx)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return nil, err
	}
	run.Rows, run.Finished = rows, r.now()
	run.Summary = summarizeRows(run.Rows)
	setJSON(span, observe.AttrOutputValue, observe.AttrOutputMimeType, run.Summary)
	return run, nil
}

func (e *Evaluation) check(model Model) error {
	if model == nil {
		return steady.Errorf(steady.Invalid, "eval.Run", "no model")
	}
	seen := map[string]bool{}
	for _, s := range e.Scorers {
		if seen[s.Name()] {
			return steady.Errorf(steady.Invalid, "eval.Run", "two scorers are named %q", s.Name())
		}
		seen[s.Name()] = true
	}
	return nil
}

func scorerNames(scorers []Scorer) []string {
	names := make([]string, len(scorers))
	for i, s := range scorers {
		names[i] = s.Name()
	}
	return names
}

// runner holds what every row of one run shares.
type runner struct {
	eval     *Evaluation
	model    Model
	tracer   trace.Tracer
	now      func() time.Time
	progress func(done, total int)

	mu   sync.Mutex // serialises progress calls
	done int
}

func newRunner(e *Evaluation, model Model, opts RunOptions) *runner {
	tp := opts.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &runner{eval: e, model: model, tracer: tp.Tracer(tracerName), now: now, progress: opts.Progress}
}

// runAll starts one goroutine per row, holding a slot of the semaphore, so
// no more than Concurrency rows are ever in flight; it stops starting rows
// when ctx is done and waits for those already started.
func (r *runner) runAll(ctx context.Context) ([]Row, error) {
	rows := make([]Row, len(r.eval.Dataset))
	sem := make(chan struct{}, r.concurrency())
	var wg sync.WaitGroup
	for i := range rows {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			rows[i] = r.row(ctx, r.eval.Dataset[i])
			r.tick(len(rows))
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return rows, nil
}

func (r *runner) concurrency() int {
	if r.eval.Concurrency > 0 {
		return r.eval.Concurrency
	}
	return DefaultConcurrency
}

func (r *runner) tick(total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	if r.progress != nil {
		r.progress(r.done, total)
	}
}
