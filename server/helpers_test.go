package server_test

import (
	"context"
	"github.com/steady-voice/steady/internal/steadytest"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	noopmetric "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	nooptrace "go.opentelemetry.io/otel/trace/noop"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/eval/evalstore"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/sqlitestore"
	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/observe/tracestore"
	"github.com/steady-voice/steady/server"
	"github.com/steady-voice/steady/server/account"
	"github.com/steady-voice/steady/server/client"
)

const (
	adminToken    = "admin-token-for-tests-only"
	operatorEmail = "operator@example.com"
	password      = "correct horse battery"
)

// clock is the tests' settable clock.
type clock = steadytest.Clock

func embedder(t testing.TB) embed.Embedder { return steadytest.GloVe(t) }

// rig is a server over real SQLite stores (memory, traces, accounts) with
// the offline agent, traced into the trace store, behind httptest.
type rig struct {
	t        *testing.T
	ctx      context.Context
	clock    *clock
	memory   *memory.Service
	memStore *sqlitestore.Store
	recorder *agent.Recorder
	traces   *tracestore.Store
	tracing  *observe.Provider
	srv      *server.Server
	http     *httptest.Server
	url      string
}

// newRig builds the rig. The observability layer's providers are process
// wide, so tests that use a rig must not run in parallel.
func newRig(t *testing.T, opts ...func(*server.Config)) *rig {
	t.Helper()
	dir := t.TempDir()
	r := &rig{t: t, ctx: t.Context(), clock: steadytest.NewClock(time.Date(2026, 11, 26, 15, 4, 0, 0, time.UTC))}
	r.openTracing(filepath.Join(dir, "traces.db"))
	r.openMemory(dir)
	ag, err := agent.New(r.ctx, agent.Config{Memory: r.memory, Recorder: r.recorder, Seed: 7, Now: r.clock.Now})
	must(t, err)
	accounts, err := account.Open(r.ctx, filepath.Join(dir, "accounts.db"),
		account.Options{Operators: []string{operatorEmail}, Argon: account.ArgonParams{Time: 1, Memory: 64, Threads: 1}})
	must(t, err)
	t.Cleanup(func() { accounts.Close() })
	metrics, err := server.NewMetrics(server.MetricsConfig{Recorder: r.recorder, DroppedSpans: r.tracing.Dropped})
	must(t, err)
	observe.SetMeterProvider(metrics.MeterProvider())
	t.Cleanup(func() { metrics.Shutdown(context.Background()) })
	cfg := server.Config{Agent: ag, Memory: r.memory, Recorder: r.recorder, Accounts: accounts,
		Traces: r.traces, Runs: evalstore.New(r.traces), Metrics: metrics.Handler(),
		AdminToken: adminToken, Now: r.clock.Now, Logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	r.srv, err = server.New(cfg)
	must(t, err)
	r.http = httptest.NewServer(metrics.Instrument(r.srv.Handler()))
	r.url = r.http.URL
	t.Cleanup(func() {
		r.http.Close()
		if err := r.srv.Close(context.Background()); err != nil {
			t.Errorf("server Close: %v", err)
		}
	})
	return r
}

func (r *rig) openTracing(path string) {
	t := r.t
	st, err := tracestore.Open(r.ctx, path, tracestore.Options{})
	must(t, err)
	p, err := observe.Setup(r.ctx, observe.Config{Exporters: []sdktrace.SpanExporter{st}, BatchInterval: 10 * time.Millisecond})
	must(t, err)
	r.traces, r.tracing = st, p
	t.Cleanup(func() {
		p.Shutdown(context.Background())
		observe.SetTracerProvider(nooptrace.NewTracerProvider())
		observe.SetMeterProvider(noopmetric.NewMeterProvider())
		st.Close()
	})
}

func (r *rig) openMemory(dir string) {
	t := r.t
	st, err := sqlitestore.Open(r.ctx, filepath.Join(dir, "memory.db"), sqlitestore.Options{})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	r.memStore = st
	r.memory, err = memory.New(memory.Config{Store: st, Embedder: embedder(t)})
	must(t, err)
	r.recorder, err = agent.NewRecorder(agent.RecorderConfig{Memory: r.memory, SpoolPath: filepath.Join(dir, "recorder.spool")})
	must(t, err)
	t.Cleanup(func() { r.recorder.Close(context.Background()) })
}

// client returns a client with no token.
func (r *rig) client() *client.Client { return client.New(r.url, r.http.Client()) }

// user registers a user and returns their signed-in client.
func (r *rig) user(name, email string) *client.Client {
	r.t.Helper()
	c := r.client()
	if _, err := c.Register(r.ctx, name, email, password); err != nil {
		r.t.Fatalf("register %s: %v", email, err)
	}
	return c
}

// admin returns a client holding the admin token.
func (r *rig) admin() *client.Client {
	c := r.client()
	c.SetToken(adminToken)
	return c
}

// flushTraces exports every span ended so far into the trace store.
func (r *rig) flushTraces() {
	r.t.Helper()
	must(r.t, r.tracing.ForceFlush(r.ctx))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails the test unless err is a *steady.Error with code.
func wantCode(t testing.TB, what string, err error, code steady.Code) {
	t.Helper()
	if got := steady.ErrorCode(err); got != code {
		t.Errorf("%s: got code %q (%v), want %q", what, got, err, code)
	}
}
