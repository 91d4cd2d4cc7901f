package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/steady-voice/steady/internal/gctune"
	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/server"
	"github.com/steady-voice/steady/server/account"
)

// shutdownTimeout bounds the graceful shutdown: in-flight requests, then
// the live sessions' endings. The recorder's drain has its own bound.
const shutdownTimeout = 30 * time.Second

// minAdminToken is the shortest admin token accepted: it is a password
// that never expires, so a guessable one must fail at start.
const minAdminToken = 16

func (a *app) serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API, the pages and the metrics",
		Long: `Serves Steady over HTTP on --addr (loopback by default): accounts, text
sessions with the agent, each user's memory, the operators' traces and
evaluations, /healthz, /readyz, /metrics (Prometheus, public: put the
listener no wider than you would show counts and latencies) and the OpenAPI
document at /api/openapi.json.

Accounts live in accounts.db under --data. The accounts named by
--admin-email have the operator role; STEADY_ADMIN_TOKEN, from the
environment only, is a bearer token with that role and no user.

SIGINT or SIGTERM stops it gracefully: requests in flight finish, live
sessions are ended (their interventions judged), the recorder drains into
memory and the traces are flushed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serve(cmd.Context()) },
	}
}

func (a *app) serve(ctx context.Context) error {
	defer gctune.Apply()() // a turn's p99 is set by collector pauses; see gctune
	token := a.getenv("STEADY_ADMIN_TOKEN")
	if token != "" && len(token) < minAdminToken {
		return fmt.Errorf("STEADY_ADMIN_TOKEN: at least %d characters, please", minAdminToken)
	}
	// One seed for every session: the offline policy's stream also
	// depends on the user and the (unique) session id.
	st, err := a.openAgent(ctx, 1, false)
	if err != nil {
		return err
	}
	defer st.close()
	accounts, err := account.Open(ctx, filepath.Join(a.cfg.Data, "accounts.db"),
		account.Options{Operators: splitList(a.cfg.Server.AdminEmails)})
	if err != nil {
		return err
	}
	defer accounts.Close()
	metrics, err := a.serveMetrics(st)
	if err != nil {
		return err
	}
	defer metrics.Shutdown(context.Background())
	cfg := server.Config{Agent: st.agent, Memory: st.memory, Recorder: st.recorder, Accounts: accounts,
		Metrics: metrics.Handler(), AdminToken: token, SessionTTL: a.cfg.Memory.SessionTTL, Logger: a.log}
	if a.traces != nil {
		cfg.Traces, cfg.Runs = a.traces, a.runStore()
	}
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	return a.listen(ctx, srv, metrics.Instrument(srv.Handler()))
}

// serveMetrics builds the Prometheus metrics and routes the ops' metrics to
// them, in place of the meter provider every command gets, which has no
// reader.
func (a *app) serveMetrics(st *agentStack) (*server.Metrics, error) {
	cfg := server.MetricsConfig{Recorder: st.recorder}
	if a.tracing != nil {
		cfg.DroppedSpans = a.tracing.Dropped
	}
	m, err := server.NewMetrics(cfg)
	if err != nil {
		return nil, err
	}
	observe.SetMeterProvider(m.MeterProvider())
	return m, nil
}

// listen serves h until ctx ends, then shuts down gracefully: in-flight
// requests finish, then the live sessions end. The caller's deferred
// closes drain the recorder; run flushes the traces last.
func (a *app) listen(ctx context.Context, srv *server.Server, h http.Handler) error {
	ln, err := net.Listen("tcp", a.cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	a.log.Info("listening", "addr", addr.String(), "url", "http://"+addr.String())
	if !addr.IP.IsLoopback() {
		a.log.Warn("listening beyond this machine: put TLS in front of it", "addr", addr.String())
	}
	// No WriteTimeout: a turn with a remote model, or an evaluation, may
	// take longer than any bound that would still catch a stuck client.
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return errors.Join(err, srv.Close(context.Background()))
	case <-ctx.Done():
	}
	a.log.Info("shutting down: finishing requests, ending sessions")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = hs.Shutdown(sctx)
	<-served // http.ErrServerClosed, now that Shutdown has begun
	return errors.Join(err, srv.Close(sctx))
}

// splitList reads a comma-separated setting, ignoring blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
