package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/observe/tracestore"
	"github.com/steady-voice/steady/server"
	"github.com/steady-voice/steady/server/account"
	"github.com/steady-voice/steady/server/client"
)

// LoadConfig is the HTTP load section on one backend.
type LoadConfig struct {
	Backend  Backend
	Embedder embed.Embedder
	Dir      string // where the server's trace store, accounts and spool are made
	Plan     Plan   // Sessions, LoadFor, Think
	Logger   *slog.Logger
	Progress Progress
}

// LoadResult is the server under conversation load: each session sends a
// message, waits for the answer, thinks, and sends the next.
type LoadResult struct {
	Backend      string  `json:"backend"`
	Sessions     int     `json:"sessions"`
	DurationS    float64 `json:"duration_s"`
	ThinkS       float64 `json:"think_s"`
	Messages     int     `json:"messages"`
	MessagesPerS float64 `json:"messages_per_s"`
	Message      Latency `json:"message"`
	Errors       int     `json:"errors"`
	FirstError   string  `json:"first_error,omitempty"`
}

// Load runs the server as `steady serve` builds it (tracing into its own
// trace store) on a loopback port, signs up a user per four sessions, and
// has the sessions talk for Plan.LoadFor, as server's BenchmarkLoad does.
// Failed messages are counted, not returned: they are a result. The users
// are forgotten afterwards.
func Load(ctx context.Context, cfg LoadConfig) (res LoadResult, err error) {
	p := cfg.Plan
	res = LoadResult{Backend: cfg.Backend.Name, Sessions: p.Sessions, DurationS: p.LoadFor.Seconds(), ThinkS: p.Think.Seconds()}
	dir, err := os.MkdirTemp(cfg.Dir, "load-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	env, err := startServer(ctx, cfg, dir)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, env.close(ctx)) }()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: p.Sessions}, Timeout: time.Minute}
	defer hc.CloseIdleConnections()
	sessions, err := env.signUp(ctx, hc, p.Sessions)
	if err != nil {
		return res, err
	}
	m := newMeter(cfg.Progress, "HTTP load on "+cfg.Backend.Name, int(p.LoadFor/(100*time.Millisecond)))
	lat, failed := talk(ctx, sessions, p.LoadFor, p.Think, m)
	for _, s := range sessions {
		s.c.EndSession(context.WithoutCancel(ctx), s.id) // judged and reflected on, as when a person leaves
	}
	res.Messages, res.Errors = len(lat), len(failed)
	res.MessagesPerS = float64(len(lat)) / p.LoadFor.Seconds()
	res.Message = latencyOf(lat)
	if len(failed) > 0 {
		res.FirstError = failed[0].Error()
	}
	return res, ctx.Err()
}

// loadEnv is a running server and what it stands on.
type loadEnv struct {
	url      string
	hs       *http.Server
	srv      *server.Server
	svc      *memory.Service
	rec      *agent.Recorder
	accounts *account.Store
	traces   *tracestore.Store
	prov     *observe.Provider
	users    []string
}

func startServer(ctx context.Context, cfg LoadConfig, dir string) (*loadEnv, error) {
	env := &loadEnv{}
	var err error
	if env.traces, err = tracestore.Open(ctx, filepath.Join(dir, "traces.db"), tracestore.Options{}); err != nil {
		return nil, err
	}
	if env.prov, err = observe.Setup(ctx, observe.Config{Exporters: []sdktrace.SpanExporter{env.traces}}); err != nil {
		env.traces.Close()
		return nil, err
	}
	if err := env.build(ctx, cfg, dir); err != nil {
		return nil, errors.Join(err, env.close(ctx))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(err, env.close(ctx))
	}
	env.url = "http://" + ln.Addr().String()
	env.hs = &http.Server{Handler: env.srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go env.hs.Serve(ln)
	return env, nil
}

func (env *loadEnv) build(ctx context.Context, cfg LoadConfig, dir string) error {
	var err error
	env.svc, err = memory.New(memory.Config{Store: cfg.Backend.Store, Embedder: cfg.Embedder, Context: memory.ContextOptions{MinScore: 0.7}})
	if err != nil {
		return err
	}
	if env.rec, err = agent.NewRecorder(agent.RecorderConfig{Memory: env.svc, SpoolPath: filepath.Join(dir, "spool"), Logger: cfg.Logger}); err != nil {
		return err
	}
	ag, err := agent.New(ctx, agent.Config{Memory: env.svc, Recorder: env.rec})
	if err != nil {
		return err
	}
	if env.accounts, err = account.Open(ctx, filepath.Join(dir, "accounts.db"), account.Options{}); err != nil {
		return err
	}
	env.srv, err = server.New(server.Config{Agent: ag, Memory: env.svc, Recorder: env.rec, Accounts: env.accounts, Traces: env.traces, Logger: cfg.Logger})
	return err
}

// close stops the server, lets the recorder land its writes, forgets the
// users, and stops tracing — in that order, so nothing is written for a
// user after they are forgotten.
func (env *loadEnv) close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var errs []error
	if env.hs != nil {
		errs = append(errs, env.hs.Shutdown(ctx))
	}
	if env.srv != nil {
		errs = append(errs, env.srv.Close(ctx))
	}
	if env.rec != nil {
		errs = append(errs, env.rec.Close(ctx))
	}
	for _, u := range env.users {
		var err error
		forget(ctx, env.svc, u, &err)
		errs = append(errs, err)
	}
	if env.accounts != nil {
		errs = append(errs, env.accounts.Close())
	}
	errs = append(errs, untrace(env.prov), env.traces.Close())
	return errors.Join(errs...)
}

type loadSession struct {
	c  *client.Client
	id string
}

// signUp registers a user per four sessions (the per-user limit) and
// starts the sessions.
func (env *loadEnv) signUp(ctx context.Context, hc *http.Client, sessions int) ([]loadSession, error) {
	var out []loadSession
	for u := 0; len(out) < sessions; u++ {
		c := client.New(env.url, hc)
		user, err := c.Register(ctx, "Bench", fmt.Sprintf("bench%d@example.com", u), "a long enough password")
		if err != nil {
			return nil, fmt.Errorf("signing up: %w", err)
		}
		env.users = append(env.users, user.ID)
		for range min(4, sessions-len(out)) {
			s, err := c.StartSession(ctx)
			if err != nil {
				return nil, fmt.Errorf("starting a session: %w", err)
			}
			out = append(out, loadSession{c, s.ID})
		}
	}
	return out, nil
}

// talk has every session send a message, wait think, and again, until d
// passes. Sessions start staggered over think, as people do.
func talk(ctx context.Context, sessions []loadSession, d, think time.Duration, m *meter) ([]time.Duration, []error) {
	texts := situationTexts()
	deadline := time.Now().Add(d)
	stop := showTime(deadline, d, m)
	defer stop()
	var mu sync.Mutex
	var lat []time.Duration
	var failed []error
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() {
			pause(ctx, think*time.Duration(i)/time.Duration(len(sessions)))
			for n := i; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				start := time.Now()
				_, err := s.c.Send(ctx, s.id, texts[n%len(texts)])
				took := time.Since(start)
				mu.Lock()
				if err != nil {
					failed = append(failed, err)
				} else {
					lat = append(lat, took)
				}
				mu.Unlock()
				pause(ctx, think)
			}
		})
	}
	wg.Wait()
	return lat, failed
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// showTime reports the load's elapsed time in tenths of a second until
// stopped.
func showTime(deadline time.Time, d time.Duration, m *meter) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for shown := 0; ; {
			select {
			case <-done:
				return
			case <-t.C:
				now := int((d - time.Until(deadline)) / (100 * time.Millisecond))
				if now > shown && shown < m.total {
					m.add(min(now, m.total) - shown)
					shown = min(now, m.total)
				}
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
