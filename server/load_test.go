package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	nooptrace "go.opentelemetry.io/otel/trace/noop"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/agent/data"
	"github.com/steady-voice/steady/internal/redistest"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/redisstore"
	"github.com/steady-voice/steady/memory/sqlitestore"
	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/observe/tracestore"
	"github.com/steady-voice/steady/server"
	"github.com/steady-voice/steady/server/account"
	"github.com/steady-voice/steady/server/client"
)

// BenchmarkLoad is the server under conversation load: loadSessions
// sessions (4 per user, within the per-user limit) send messages over
// loopback for STEADY_LOAD_DURATION (default 30s), each waiting
// STEADY_LOAD_THINK (default 1s: a person speaks or types for at least
// that long) after each answer — 0 sends back to back, which measures
// saturation rather than conversation. On the embedded stores and on Redis,
// with tracing into the embedded trace store. It reports the p50 and p99 of
// a message, the errors, and the goroutines and heap left after the run
// compared with before it (idle connections closed). Run it alone:
//
//	go test ./server -run XXX -bench Load -benchtime 1x
func BenchmarkLoad(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		st, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "memory.db"), sqlitestore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		loadRun(b, st)
	})
	b.Run("redis", func(b *testing.B) {
		srv := redistest.Start(b)
		st, err := redisstore.Open(context.Background(), srv.URL(), redisstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		loadRun(b, st)
	})
}

const loadSessions = 200

func loadRun(b *testing.B, st memory.Store) {
	duration, think := envDuration("STEADY_LOAD_DURATION", 30*time.Second), envDuration("STEADY_LOAD_THINK", time.Second)
	url, stop := loadServer(b, st)
	defer stop()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadSessions}}
	sessions := loadClients(b, url, hc)
	hc.CloseIdleConnections()
	goroutines, heap := settled()
	b.ResetTimer()
	for range b.N {
		lat, errs := loadFor(sessions, duration, think)
		slices.Sort(lat)
		if len(lat) > 0 {
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		}
		b.ReportMetric(float64(len(lat))/duration.Seconds(), "msgs/s")
		b.ReportMetric(float64(errs), "errors")
		if errs > 0 {
			b.Errorf("%d messages failed", errs)
		}
	}
	b.StopTimer()
	for _, s := range sessions {
		s.c.EndSession(context.Background(), s.id)
	}
	hc.CloseIdleConnections()
	g, h := settled()
	b.ReportMetric(float64(g-goroutines), "goroutines-left")
	b.ReportMetric(float64(int64(h)-int64(heap))/(1<<20), "heap-MiB-left")
}

type loadSession struct {
	c  *client.Client
	id string
}

// loadServer is the server as `steady serve` builds it, on st.
func loadServer(b *testing.B, st memory.Store) (string, func()) {
	ctx, dir := context.Background(), b.TempDir()
	traces, err := tracestore.Open(ctx, filepath.Join(dir, "traces.db"), tracestore.Options{})
	must(b, err)
	p, err := observe.Setup(ctx, observe.Config{Exporters: []sdktrace.SpanExporter{traces}})
	must(b, err)
	svc, err := memory.New(memory.Config{Store: st, Embedder: embedder(b), Context: memory.ContextOptions{MinScore: 0.7}})
	must(b, err)
	rec, err := agent.NewRecorder(agent.RecorderConfig{Memory: svc, SpoolPath: filepath.Join(dir, "spool")})
	must(b, err)
	ag, err := agent.New(ctx, agent.Config{Memory: svc, Recorder: rec})
	must(b, err)
	accounts, err := account.Open(ctx, filepath.Join(dir, "accounts.db"), account.Options{})
	must(b, err)
	srv, err := server.New(server.Config{Agent: ag, Memory: svc, Recorder: rec, Accounts: accounts, Traces: traces})
	must(b, err)
	hs := httptest.NewServer(srv.Handler())
	return hs.URL, func() {
		hs.Close()
		srv.Close(ctx)
		rec.Close(ctx)
		accounts.Close()
		p.Shutdown(ctx)
		observe.SetTracerProvider(nooptrace.NewTracerProvider())
		traces.Close()
	}
}

// loadClients signs up loadSessions/4 users and starts 4 sessions each.
func loadClients(b *testing.B, url string, hc *http.Client) []loadSession {
	var out []loadSession
	for u := range loadSessions / 4 {
		c := client.New(url, hc)
		if _, err := c.Register(context.Background(), "Load", fmt.Sprintf("load%d@example.com", u), "a long enough password"); err != nil {
			b.Fatal(err)
		}
		for range 4 {
			s, err := c.StartSession(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, loadSession{c, s.ID})
		}
	}
	return out
}

// loadFor has every session send a message, wait think, and again, until
// d passes. Sessions start staggered over think, as people do.
func loadFor(sessions []loadSession, d, think time.Duration) ([]time.Duration, int) {
	texts := data.Situations()
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() {
			time.Sleep(think * time.Duration(i) / time.Duration(len(sessions)))
			for n := i; time.Now().Before(deadline); n++ {
				start := time.Now()
				_, err := s.c.Send(context.Background(), s.id, texts[n%len(texts)].Text)
				took := time.Since(start)
				mu.Lock()
				if err != nil {
					errs++
				} else {
					lat = append(lat, took)
				}
				mu.Unlock()
				time.Sleep(think)
			}
		})
	}
	wg.Wait()
	return lat, errs
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

// settled is the goroutine count and live heap once the runtime is quiet.
func settled() (int, uint64) {
	var m runtime.MemStats
	for range 3 {
		runtime.GC()
		time.Sleep(100 * time.Millisecond)
	}
	runtime.ReadMemStats(&m)
	return runtime.NumGoroutine(), m.HeapAlloc
}
