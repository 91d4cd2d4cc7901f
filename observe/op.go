package observe

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

const (
	scopeName = "github.com/steady-voice/steady/observe"
	mimeJSON  = "application/json"
)

// Metric names recorded by every Op, labelled with steady.op.name.
const (
	MetricCalls    = "steady.op.calls"
	MetricErrors   = "steady.op.errors"
	MetricDuration = "steady.op.duration" // seconds
)

// latencyBuckets are the OpenTelemetry semantic-convention boundaries for
// durations in seconds; the SDK default (0–10000) suits milliseconds and
// would put every call in the first bucket.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// state is what an Op call reads: swapped whole, so a call never sees a
// tracer from one provider and instruments from another.
type state struct {
	tp       trace.TracerProvider
	mp       metric.MeterProvider
	tracer   trace.Tracer
	calls    metric.Int64Counter
	errors   metric.Int64Counter
	duration metric.Float64Histogram
	capture  *capturer
	raw      Capture
}

var (
	current atomic.Pointer[state]
	setMu   sync.Mutex // serialises the read-modify-write of current
)

func init() {
	// The global providers delegate to whatever is installed later, so
	// caching their tracer and instruments here is safe.
	current.Store(newState(otel.GetTracerProvider(), otel.GetMeterProvider(), Capture{}))
}

func newState(tp trace.TracerProvider, mp metric.MeterProvider, c Capture) *state {
	s := &state{tp: tp, mp: mp, tracer: tp.Tracer(scopeName), capture: c.compile(), raw: c}
	m := mp.Meter(scopeName)
	// Instrument errors only arise from invalid names, which are constants
	// here; a nil-safe no-op is used if they ever occur.
	var err error
	if s.calls, err = m.Int64Counter(MetricCalls, metric.WithDescription("Op calls")); err != nil {
		otel.Handle(err)
	}
	if s.errors, err = m.Int64Counter(MetricErrors, metric.WithDescription("Op calls that returned an error")); err != nil {
		otel.Handle(err)
	}
	if s.duration, err = m.Float64Histogram(MetricDuration, metric.WithUnit("s"),
		metric.WithDescription("Op latency"), metric.WithExplicitBucketBoundaries(latencyBuckets...)); err != nil {
		otel.Handle(err)
	}
	return s
}

func update(f func(s state) (trace.TracerProvider, metric.MeterProvider, Capture)) {
	setMu.Lock()
	defer setMu.Unlock()
	tp, mp, c := f(*current.Load())
	current.Store(newState(tp, mp, c))
}

// SetTracerProvider makes Op start its spans from tp (default: the global
// OpenTelemetry provider). Setup calls it.
func SetTracerProvider(tp trace.TracerProvider) {
	update(func(s state) (trace.TracerProvider, metric.MeterProvider, Capture) { return tp, s.mp, s.raw })
}

// SetMeterProvider makes Op record its metrics through mp (default: the
// global OpenTelemetry provider). Setup calls it.
func SetMeterProvider(mp metric.MeterProvider) {
	update(func(s state) (trace.TracerProvider, metric.MeterProvider, Capture) { return s.tp, mp, s.raw })
}

// SetCapture sets what every Op records of inputs and outputs. Setup calls
// it with Config.Capture.
func SetCapture(c Capture) {
	update(func(s state) (trace.TracerProvider, metric.MeterProvider, Capture) { return s.tp, s.mp, c })
}

// OpOption configures an Op.
type OpOption func(*opConfig)

type opConfig struct {
	attrs []attribute.KeyValue
}

// Kind sets the OpenInference span kind: "TOOL", "AGENT", "LLM", "CHAIN",
// "EMBEDDING", "RETRIEVER", "EVALUATOR".
func Kind(kind string) OpOption { return SpanAttributes(attribute.String(AttrSpanKind, kind)) }

// GenAIOperation sets gen_ai.operation.name, e.g. "execute_tool".
func GenAIOperation(op string) OpOption {
	return SpanAttributes(attribute.String(AttrGenAIOperation, op))
}

// ToolName sets gen_ai.tool.name.
func ToolName(name string) OpOption { return SpanAttributes(attribute.String(AttrGenAIToolName, name)) }

// SpanAttributes adds fixed attributes to every span of the op.
func SpanAttributes(kv ...attribute.KeyValue) OpOption {
	return func(c *opConfig) { c.attrs = append(c.attrs, kv...) }
}

// op is what a wrapper shares across its calls.
type op struct {
	name  string
	attrs []attribute.KeyValue
	// Built once: passing options variadically would allocate per call.
	addOpts    []metric.AddOption
	recordOpts []metric.RecordOption
}

func newOp(name string, opts []OpOption) *op {
	var c opConfig
	for _, o := range opts {
		o(&c)
	}
	set := attribute.NewSet(attribute.String(AttrOpName, name))
	m := metric.WithAttributeSet(set)
	return &op{name: name, attrs: c.attrs, addOpts: []metric.AddOption{m}, recordOpts: []metric.RecordOption{m}}
}

// Op wraps fn so that each call is one span named name: a child of the span
// in ctx (ops called inside ops form a tree), carrying the inputs, output,
// error, the context attributes (WithAttributes) and the op options, plus
// the per-op metrics. fn receives the span's context. A panic in fn is
// recorded as an error and re-raised. The returned function is safe for
// concurrent use.
func Op[In, Out any](name string, fn func(context.Context, In) (Out, error), opts ...OpOption) func(context.Context, In) (Out, error) {
	o := newOp(name, opts)
	return func(ctx context.Context, in In) (out Out, err error) {
		ctx, c := o.start(ctx, in, true)
		defer finish(c, &out, &err)
		return fn(ctx, in)
	}
}

// Op0 is Op for a function without input.
func Op0[Out any](name string, fn func(context.Context) (Out, error), opts ...OpOption) func(context.Context) (Out, error) {
	o := newOp(name, opts)
	return func(ctx context.Context) (out Out, err error) {
		ctx, c := o.start(ctx, nil, false)
		defer finish(c, &out, &err)
		return fn(ctx)
	}
}

// call is one running Op call.
type call struct {
	op    *op
	st    *state
	span  trace.Span
	ctx   context.Context
	start time.Time
}

func (o *op) start(ctx context.Context, in any, hasInput bool) (context.Context, call) {
	st := current.Load()
	// Attributes are set on the started span rather than passed as a start
	// option, which would copy them once more; no sampler here reads them.
	ctx, span := st.tracer.Start(ctx, o.name)
	if span.IsRecording() {
		span.SetAttributes(o.attrs...)
		span.SetAttributes(contextAttributes(ctx)...)
		if hasInput && !st.capture.disabled {
			var buf [3]attribute.KeyValue
			span.SetAttributes(st.capture.appendContent(buf[:0], AttrInputValue, AttrInputMimeType, in)...)
		}
	}
	return ctx, call{op: o, st: st, span: span, ctx: ctx, start: time.Now()}
}

// finish is deferred by the wrappers, so it sees a panic (recover works
// only in the deferred function itself) and the named results; a closure
// would move them to the heap on every call.
func finish[Out any](c call, out *Out, err *error) {
	p := recover()
	if p == nil {
		c.end(*out, *err, nil)
		return
	}
	c.end(nil, nil, p)
}

func (c call) end(out any, err error, panicked any) {
	if panicked != nil {
		err = fmt.Errorf("panic: %v", panicked)
	}
	if err == nil && !c.st.capture.disabled && c.span.IsRecording() {
		var buf [3]attribute.KeyValue
		c.span.SetAttributes(c.st.capture.appendContent(buf[:0], AttrOutputValue, AttrOutputMimeType, out)...)
	}
	if err != nil {
		c.span.RecordError(err)
		c.span.SetStatus(codes.Error, err.Error())
	}
	c.span.End()
	c.record(err != nil)
	if panicked != nil {
		panic(panicked)
	}
}

func (c call) record(failed bool) {
	// The span's context, not the caller's: exemplars then link to this call.
	c.st.calls.Add(c.ctx, 1, c.op.addOpts...)
	if failed {
		c.st.errors.Add(c.ctx, 1, c.op.addOpts...)
	}
	c.st.duration.Record(c.ctx, time.Since(c.start).Seconds(), c.op.recordOpts...)
}

// appendContent appends a captured value with its mime type, and the
// truncation flag when the cap cut it.
func (c *capturer) appendContent(attrs []attribute.KeyValue, valueKey, mimeKey string, v any) []attribute.KeyValue {
	s, truncated := c.encode(v)
	attrs = append(attrs, attribute.String(valueKey, s), attribute.String(mimeKey, mimeJSON))
	if truncated {
		attrs = append(attrs, attribute.Bool(AttrTruncated, true))
	}
	return attrs
}

// CallID returns the call id (span id, hex) of the op running in ctx, or ""
// outside any span; stored records use it to link back to the call.
func CallID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.SpanID().IsValid() {
		return ""
	}
	return sc.SpanID().String()
}

// TraceID returns the trace id (hex) of the op running in ctx, or "".
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.TraceID().IsValid() {
		return ""
	}
	return sc.TraceID().String()
}
