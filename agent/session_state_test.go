package agent_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/sqlitestore"
)

// sessionSpy is a store that counts session reads and, when armed, lets
// another device write the session just before the next PutSession.
type sessionSpy struct {
	memory.Store
	reads atomic.Int32
	mu    sync.Mutex
	other func(context.Context) // the other device's write, once
}

func (s *sessionSpy) GetSession(ctx context.Context, userID, sessionID string) (memory.SessionState, error) {
	s.reads.Add(1)
	return s.Store.GetSession(ctx, userID, sessionID)
}

func (s *sessionSpy) PutSession(ctx context.Context, st memory.SessionState) (memory.SessionState, error) {
	s.mu.Lock()
	other := s.other
	s.other = nil
	s.mu.Unlock()
	if other != nil {
		other(ctx)
	}
	return s.Store.PutSession(ctx, st)
}

func spyAgent(t *testing.T) (*agent.Agent, *sessionSpy, *memory.Service) {
	t.Helper()
	ctx, dir := context.Background(), t.TempDir()
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "memory.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	spy := &sessionSpy{Store: st}
	mem, err := memory.New(memory.Config{Store: spy, Embedder: embedder(t)})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := agent.NewRecorder(agent.RecorderConfig{Memory: mem, SpoolPath: filepath.Join(dir, "recorder.spool")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close(context.Background()) })
	a, err := agent.New(ctx, agent.Config{Memory: mem, Recorder: rec, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return a, spy, mem
}

// TestActingTurnReadsSessionOnce: the offline policy reads the session's
// state to choose, and the tool it chose starts from that state.
func TestActingTurnReadsSessionOnce(t *testing.T) {
	a, spy, _ := spyAgent(t)
	ctx := context.Background()
	s, _, err := a.Start(ctx, "alice", "s1")
	if err != nil {
		t.Fatal(err)
	}
	before := spy.reads.Load()
	rep, err := a.Turn(ctx, s, "can you check in on me in 5 minutes?")
	if err != nil || len(rep.ToolCalls) != 1 || rep.ToolCalls[0].Name != "schedule_checkin" {
		t.Fatalf("turn: %+v, %v; want schedule_checkin", rep.ToolCalls, err)
	}
	if n := spy.reads.Load() - before; n != 1 {
		t.Errorf("an acting turn read the session %d times, want once", n)
	}
}

// TestActingTurnKeepsAnotherDevicesWrite: another device changes the
// session between the turn's read and the tool's write. The tool's write
// must be refused on its version and redone on the fresh state, keeping
// both changes.
func TestActingTurnKeepsAnotherDevicesWrite(t *testing.T) {
	a, spy, mem := spyAgent(t)
	ctx := context.Background()
	s, _, err := a.Start(ctx, "alice", "s1")
	if err != nil {
		t.Fatal(err)
	}
	spy.other = func(ctx context.Context) {
		_, err := mem.UpdateSession(ctx, "alice", "s1", func(st *memory.SessionState) error {
			st.Wins = append(st.Wins, memory.Win{Description: "other device"})
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
	rep, err := a.Turn(ctx, s, "can you check in on me in 5 minutes?")
	if err != nil || len(rep.ToolCalls) != 1 || rep.ToolCalls[0].Error != "" {
		t.Fatalf("turn: %+v, %v; want one successful tool call", rep.ToolCalls, err)
	}
	st, err := mem.Session(ctx, "alice", "s1")
	if err != nil || len(st.Wins) != 1 || len(st.Checkins) != 1 || st.Version != 2 {
		t.Errorf("session: wins %+v, check-ins %+v, version %d, %v; want the other device's win and the check-in, version 2",
			st.Wins, st.Checkins, st.Version, err)
	}
}
