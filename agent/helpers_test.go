package agent_test

import (
	"context"
	"github.com/steady-voice/steady/internal/steadytest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/llm"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/sqlitestore"
)

// clock is the tests' settable clock.
type clock = steadytest.Clock

func embedder(t testing.TB) embed.Embedder { return steadytest.GloVe(t) }

// rig is an agent on a real SQLite memory, with the scores it sent to the
// trace side collected.
type rig struct {
	ctx      context.Context
	clock    *clock
	memory   *memory.Service
	recorder *agent.Recorder
	agent    *agent.Agent
	dir      string

	mu     sync.Mutex
	scores map[string]map[string]float64 // call id → scores
}

type rigOption func(*agent.Config)

func withModel(m llm.Model) rigOption { return func(c *agent.Config) { c.Model = m } }
func withoutMemory() rigOption        { return func(c *agent.Config) { c.NoMemory = true } }

func newRig(t testing.TB, opts ...rigOption) *rig {
	t.Helper()
	r := &rig{ctx: context.Background(), clock: steadytest.NewClock(time.Date(2026, 11, 26, 15, 4, 0, 0, time.UTC)),
		dir: t.TempDir(), scores: map[string]map[string]float64{}}
	st, err := sqlitestore.Open(r.ctx, filepath.Join(r.dir, "memory.db"), sqlitestore.Options{Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.memory, err = memory.New(memory.Config{Store: st, Embedder: embedder(t), Now: r.clock.Now,
		Context: memory.ContextOptions{MinScore: 0.7}})
	if err != nil {
		t.Fatal(err)
	}
	r.recorder, err = agent.NewRecorder(agent.RecorderConfig{Memory: r.memory, SpoolPath: filepath.Join(r.dir, "recorder.spool"), Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.recorder.Close(context.Background()) })
	cfg := agent.Config{Memory: r.memory, Recorder: r.recorder, Now: r.clock.Now, Seed: 7, Scores: r.sink}
	for _, o := range opts {
		o(&cfg)
	}
	if r.agent, err = agent.New(r.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) sink(_ context.Context, callID string, scores map[string]float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scores[callID] = scores
	return nil
}

// drain waits until everything the recorder was given is applied.
func (r *rig) drain(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	if err := r.recorder.Flush(ctx); err != nil {
		t.Fatalf("recorder flush: %v (%+v)", err, r.recorder.Stats())
	}
}

func (r *rig) start(t testing.TB, user, session string) *agent.Session {
	t.Helper()
	s, greeting, err := r.agent.Start(r.ctx, user, session)
	if err != nil {
		t.Fatal(err)
	}
	if greeting == "" {
		t.Fatal("no greeting")
	}
	return s
}

func (r *rig) turn(t testing.TB, s *agent.Session, text string) agent.Reply {
	t.Helper()
	rep, err := r.agent.Turn(r.ctx, s, text)
	if err != nil {
		t.Fatalf("turn %q: %v", text, err)
	}
	return rep
}

func (r *rig) interventions(t testing.TB, user string) []memory.Intervention {
	t.Helper()
	r.drain(t)
	ivs, _, err := r.memory.Interventions(r.ctx, user, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return ivs
}
