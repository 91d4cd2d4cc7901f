package agent_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/internal/redistest"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/redisstore"
	"github.com/steady-voice/steady/memory/sqlitestore"
)

// recSQLiteMemory is a memory service on a real SQLite file.
func recSQLiteMemory(t testing.TB) *memory.Service {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "memory.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return recService(t, st)
}

// recRedisMemory is a memory service on srv. timeout bounds every store
// call, so a frozen server turns into Unavailable that soon.
func recRedisMemory(t testing.TB, srv *redistest.Server, timeout time.Duration) *memory.Service {
	t.Helper()
	st, err := redisstore.Open(context.Background(), srv.URL(), redisstore.Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return recService(t, st)
}

func recService(t testing.TB, st memory.Store) *memory.Service {
	t.Helper()
	g, err := embed.NewGloVe()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := memory.New(memory.Config{Store: st, Embedder: g})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// recStart starts a Recorder with quick retries, which tests may change;
// the Recorder is closed at cleanup if the test did not close it.
func recStart(t testing.TB, mem *memory.Service, spool string, mod ...func(*agent.RecorderConfig)) *agent.Recorder {
	t.Helper()
	cfg := agent.RecorderConfig{Memory: mem, SpoolPath: spool, Backoff: 5 * time.Millisecond,
		MaxAttempts: 3, ReplayEvery: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, m := range mod {
		m(&cfg)
	}
	r, err := agent.NewRecorder(cfg)
	if err != nil {
		t.Fatalf("NewRecorder: %v", err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

// recClose closes r, giving it far more time than it needs: the deadline
// only turns a hang into a failure.
func recClose(t testing.TB, r *agent.Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

var recTasks = []string{"write the report", "clean the kitchen", "answer my email", "study for the exam", "call the dentist"}

// recIntervention is the i-th intervention of user, with a real context
// for the embedder.
func recIntervention(user string, i int) memory.Intervention {
	return memory.Intervention{UserID: user, SessionID: "s1", Tool: "create_microsteps", Category: memory.Task,
		Context: fmt.Sprintf("I can't make myself %s today", recTasks[i%len(recTasks)]),
		Text:    fmt.Sprintf("Let's take the first small step, number %d.", i)}
}

// recWant is what the store must hold for one intervention.
type recWant struct {
	user    string
	outcome memory.Outcome
	score   float64 // "effectiveness", when outcome is not pending
}

// recLoad issues a stream of Records of users, every third followed by
// SetOutcome, calling between(i) before the i-th, and returns what the
// store must end up with.
func recLoad(r *agent.Recorder, users, n int, between func(i int)) map[string]recWant {
	want := map[string]recWant{}
	for i := range n {
		if between != nil {
			between(i)
		}
		user := fmt.Sprintf("user%d", i%users)
		id := r.Record(recIntervention(user, i))
		w := recWant{user: user, outcome: memory.Pending}
		if i%3 == 0 {
			w.outcome, w.score = memory.TaskCompleted, float64(i%100)/100
			r.SetOutcome(user, id, w.outcome, map[string]float64{"effectiveness": w.score})
		}
		want[id] = w
	}
	return want
}

// recCheckStored lists every user's interventions from the store and checks
// that they are exactly want: each id once, none missing, none extra, each
// with its final outcome.
func recCheckStored(t testing.TB, mem *memory.Service, want map[string]recWant) {
	t.Helper()
	got := map[string]memory.Intervention{}
	for _, user := range recUsers(want) {
		for _, iv := range recListAll(t, mem, user) {
			if _, dup := got[iv.ID]; dup {
				t.Errorf("intervention %s listed twice", iv.ID)
			}
			got[iv.ID] = iv
		}
	}
	if len(got) != len(want) {
		t.Errorf("stored interventions: got %d, want %d", len(got), len(want))
	}
	for id, w := range want {
		iv, ok := got[id]
		switch {
		case !ok:
			t.Errorf("intervention %s of %s: missing", id, w.user)
		case iv.UserID != w.user || iv.Outcome != w.outcome:
			t.Errorf("intervention %s: got user %s outcome %q, want %s %q", id, iv.UserID, iv.Outcome, w.user, w.outcome)
		case w.outcome != memory.Pending && iv.Scores["effectiveness"] != w.score:
			t.Errorf("intervention %s: got effectiveness %v, want %v", id, iv.Scores["effectiveness"], w.score)
		}
	}
}

func recUsers(want map[string]recWant) []string {
	seen := map[string]bool{}
	var users []string
	for _, w := range want {
		if !seen[w.user] {
			seen[w.user] = true
			users = append(users, w.user)
		}
	}
	return users
}

func recListAll(t testing.TB, mem *memory.Service, user string) []memory.Intervention {
	t.Helper()
	var all []memory.Intervention
	for cursor := ""; ; {
		page, next, err := mem.Interventions(context.Background(), user, cursor, memory.MaxK)
		if err != nil {
			t.Fatalf("Interventions(%s): %v", user, err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

// recEventually polls cond; the deadline only turns a hang into a failure.
func recEventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after 30s", what)
		}
	}
}

// recLogBuffer collects a Recorder's log lines.
type recLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *recLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *recLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
