package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/steady-voice/steady/observe"
)

// row runs the model on one example and scores its output, each in its own
// child span of the row's span.
func (r *runner) row(ctx context.Context, ex Example) Row {
	ctx, span := r.tracer.Start(ctx, "eval.row", trace.WithAttributes(
		attribute.String(observe.AttrSpanKind, "CHAIN"),
		attribute.String("eval.example.id", ex.ID)))
	defer span.End()
	setJSON(span, observe.AttrInputValue, observe.AttrInputMimeType, ex)
	sc := span.SpanContext()
	row := Row{Example: ex, TraceID: sc.TraceID().String(), SpanID: sc.SpanID().String()}
	out, err := r.callModel(ctx, ex)
	row.Output = out
	if err != nil {
		row.Error = err.Error()
		failSpan(span, err)
		return row
	}
	r.scoreAll(ctx, &row)
	setJSON(span, observe.AttrOutputValue, observe.AttrOutputMimeType, map[string]any{"output": row.Output, "scores": row.Scores})
	if len(row.ScoreErrors) > 0 {
		span.SetStatus(codes.Error, "a scorer failed")
	}
	return row
}

func (r *runner) callModel(ctx context.Context, ex Example) (Output, error) {
	ctx, span := r.tracer.Start(ctx, "eval.model", trace.WithAttributes(
		attribute.String(observe.AttrSpanKind, "CHAIN")))
	defer span.End()
	setJSON(span, observe.AttrInputValue, observe.AttrInputMimeType, ex)
	start := r.now()
	out, err := safeModel(ctx, r.model, ex)
	if out.Latency == 0 {
		out.Latency = r.now().Sub(start)
	}
	if err != nil {
		failSpan(span, err)
		return out, err
	}
	setJSON(span, observe.AttrOutputValue, observe.AttrOutputMimeType, out)
	return out, nil
}

func (r *runner) scoreAll(ctx context.Context, row *Row) {
	for _, s := range r.eval.Scorers {
		res, err := r.score(ctx, s, row.Example, row.Output)
		if err != nil {
			if row.ScoreErrors == nil {
				row.ScoreErrors = map[string]string{}
			}
			row.ScoreErrors[s.Name()] = err.Error()
			continue
		}
		if row.Scores == nil {
			row.Scores = map[string]Result{}
		}
		row.Scores[s.Name()] = res
	}
}

func (r *runner) score(ctx context.Context, s Scorer, ex Example, out Output) (Result, error) {
	ctx, span := r.tracer.Start(ctx, "eval.score."+s.Name(), trace.WithAttributes(
		attribute.String(observe.AttrSpanKind, "EVALUATOR")))
	defer span.End()
	setJSON(span, observe.AttrInputValue, observe.AttrInputMimeType, map[string]any{"example": ex, "output": out})
	res, err := safeScore(ctx, s, ex, out)
	if err != nil {
		failSpan(span, err)
		return nil, err
	}
	setJSON(span, observe.AttrOutputValue, observe.AttrOutputMimeType, res)
	return res, nil
}

// safeModel and safeScore turn a panic into the row's error: one bad row
// must not lose the rest of a long run.
func safeModel(ctx context.Context, m Model, ex Example) (out Output, err error) {
	defer recoverInto(&err)
	return m(ctx, ex)
}

func safeScore(ctx context.Context, s Scorer, ex Example, out Output) (res Result, err error) {
	defer recoverInto(&err)
	return s.Score(ctx, ex, out)
}

func recoverInto(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("panic: %v", p)
	}
}

func failSpan(span trace.Span, err error) {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}

// setJSON records v as JSON under key, as observe names inputs and outputs,
// so that Weave, Langfuse and Phoenix render it. A value that cannot be
// encoded is recorded as the encoding error rather than dropped silently.
func setJSON(span trace.Span, key, mimeKey string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	span.SetAttributes(attribute.String(key, string(b)), attribute.String(mimeKey, "application/json"))
}

// Summary condenses a run: per-scorer summaries (see Summarize), errors and
// mean model latency.
type Summary struct {
	Rows        int `json:"rows"`
	ModelErrors int `json:"model_errors"` // rows whose model call failed
	// ScoreErrors counts, by scorer name, the rows it failed to score.
	ScoreErrors map[string]int    `json:"score_errors,omitempty"`
	MeanLatency time.Duration     `json:"mean_latency_ns"`
	Scorers     map[string]Result `json:"scorers"`
}

// Errors is the number of model and scorer errors in the run.
func (s Summary) Errors() int {
	n := s.ModelErrors
	for _, c := range s.ScoreErrors {
		n += c
	}
	return n
}

func summarizeRows(rows []Row) Summary {
	s := Summary{Rows: len(rows), Scorers: map[string]Result{}}
	byScorer := map[string][]Result{}
	var latency time.Duration
	for _, row := range rows {
		latency += row.Output.Latency
		if row.Error != "" {
			s.ModelErrors++
		}
		for name, res := range row.Scores {
			byScorer[name] = append(byScorer[name], res)
		}
		for name := range row.ScoreErrors {
			if s.ScoreErrors == nil {
				s.ScoreErrors = map[string]int{}
			}
			s.ScoreErrors[name]++
		}
	}
	if len(rows) > 0 {
		s.MeanLatency = latency / time.Duration(len(rows))
	}
	for name, results := range byScorer {
		s.Scorers[name] = Summarize(results)
	}
	return s
}
