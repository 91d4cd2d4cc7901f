package memory_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/sqlitestore"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().UTC().Truncate(time.Millisecond)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fixture is a Service on a real SQLite store in a temporary directory.
type fixture struct {
	svc   *memory.Service
	clock *clock
	ctx   context.Context
}

func newFixture(t *testing.T, mod ...func(*memory.Config)) *fixture {
	t.Helper()
	clk := newClock()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "memory.db"), sqlitestore.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	g, err := embed.NewGloVe()
	if err != nil {
		t.Fatal(err)
	}
	cfg := memory.Config{Store: st, Embedder: g, Now: clk.Now}
	for _, m := range mod {
		m(&cfg)
	}
	svc, err := memory.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, clock: clk, ctx: context.Background()}
}

// record stores an intervention with sensible defaults for what is not given.
func (f *fixture) record(t *testing.T, iv memory.Intervention) memory.Intervention {
	t.Helper()
	if iv.UserID == "" {
		iv.UserID = "alice"
	}
	if iv.SessionID == "" {
		iv.SessionID = "s1"
	}
	if iv.Tool == "" {
		iv.Tool = "start_breathing_exercise"
	}
	if iv.Category == "" {
		iv.Category = memory.Emotional
	}
	got, err := f.svc.Record(f.ctx, iv)
	if err != nil {
		t.Fatalf("Record(%+v): %v", iv, err)
	}
	return got
}

func ids(ms []memory.Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}
