package server

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/steady-voice/steady/agent"
)

// MetricsConfig is what Metrics reports besides the HTTP requests and
// the ops recorded through its MeterProvider.
type MetricsConfig struct {
	// Recorder's queue depth, spool size and counters; nil leaves them out.
	Recorder *agent.Recorder
	// DroppedSpans counts the spans the tracer dropped (e.g.
	// observe.Provider.Dropped); nil leaves it out.
	DroppedSpans func() uint64
}

// Metrics collects Steady's metrics for Prometheus. The observability
// layer already measures every op through OpenTelemetry; Metrics gives it
// a MeterProvider whose reader is the OpenTelemetry Prometheus exporter, so
// the per-op calls, errors and latencies, the HTTP requests and the
// recorder's gauges all come out of one registry, named by the exporter's
// translation (steady.op.calls → steady_op_calls_total).
type Metrics struct {
	provider *sdkmetric.MeterProvider
	handler  http.Handler
	requests metric.Float64Histogram
}

// requestBuckets are the OpenTelemetry semantic-convention boundaries for
// http.server.request.duration, in seconds.
var requestBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// NewMetrics builds the registry, the exporter and the MeterProvider.
// The caller installs MeterProvider for the ops (observe.SetMeterProvider),
// wraps its handler with Instrument, serves Handler (Config.Metrics) and
// calls Shutdown at the end.
func NewMetrics(cfg MetricsConfig) (*Metrics, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, err
	}
	m := &Metrics{provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp)),
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}
	meter := m.provider.Meter("github.com/steady-voice/steady/server")
	m.requests, err = meter.Float64Histogram("http.server.request.duration", metric.WithUnit("s"),
		metric.WithDescription("HTTP requests served, by route pattern and status"),
		metric.WithExplicitBucketBoundaries(requestBuckets...))
	if err == nil {
		err = observeRecorder(meter, cfg)
	}
	if err != nil {
		return nil, errors.Join(err, m.provider.Shutdown(context.Background()))
	}
	return m, nil
}

// observeRecorder reports the recorder's and the tracer's counters when
// Prometheus scrapes: they are read, not pushed, so they cost nothing
// between scrapes.
func observeRecorder(meter metric.Meter, cfg MetricsConfig) error {
	var instruments []metric.Observable
	gauge := func(name, desc string) metric.Int64ObservableGauge {
		g, err := meter.Int64ObservableGauge(name, metric.WithDescription(desc))
		if err == nil {
			instruments = append(instruments, g)
		}
		return g
	}
	counter := func(name, desc string) metric.Int64ObservableCounter {
		c, err := meter.Int64ObservableCounter(name, metric.WithDescription(desc))
		if err == nil {
			instruments = append(instruments, c)
		}
		return c
	}
	queued := gauge("steady.recorder.queued", "Recorder jobs waiting in the queue")
	spool := gauge("steady.recorder.spool.pending", "Recorder spool entries waiting to be applied")
	spooled := counter("steady.recorder.spooled", "Recorder jobs ever appended to the spool")
	dropped := counter("steady.recorder.dropped", "Recorder jobs the store refused for good")
	spans := counter("steady.trace.spans.dropped", "Spans dropped by a full or failing exporter queue")
	if len(instruments) != 5 {
		return errors.New("server: metrics: cannot create the recorder's instruments")
	}
	_, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		if cfg.Recorder != nil {
			st := cfg.Recorder.Stats()
			o.ObserveInt64(queued, st.Queued)
			o.ObserveInt64(spool, st.SpoolPending)
			o.ObserveInt64(spooled, st.Spooled)
			o.ObserveInt64(dropped, st.Dropped)
		}
		if cfg.DroppedSpans != nil {
			o.ObserveInt64(spans, int64(cfg.DroppedSpans()))
		}
		return nil
	}, instruments...)
	return err
}

// MeterProvider is where the ops' metrics must go to be exported.
func (m *Metrics) MeterProvider() metric.MeterProvider { return m.provider }

// Handler serves the Prometheus text exposition.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Shutdown stops the MeterProvider; /metrics answers empty afterwards.
func (m *Metrics) Shutdown(ctx context.Context) error { return m.provider.Shutdown(ctx) }

// Instrument measures each request to next — a ServeMux — by the pattern
// it matched, never by its path: paths hold ids, and a label per id would
// grow without bound.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		m.requests.Record(context.WithoutCancel(r.Context()), time.Since(start).Seconds(), metric.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("http.route", route(r)),
			attribute.String("http.response.status_code", strconv.Itoa(sw.status()))))
	})
}

// route is the pattern the mux matched (which it sets on the request it
// was given), without its method; "unmatched" for a 404 of the mux.
func route(r *http.Request) string {
	p := r.Pattern
	if _, path, ok := strings.Cut(p, " "); ok {
		p = path
	}
	if p == "" {
		return "unmatched"
	}
	return p
}

// statusWriter remembers the status written. It passes Flush and Hijack
// through, so streaming and WebSocket upgrades work behind Instrument.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

func (w *statusWriter) Flush() {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.code == 0 {
		w.code = http.StatusSwitchingProtocols
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
