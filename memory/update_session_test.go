package memory_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/steady-voice/steady/memory"
)

// sessionReads counts a store's GetSession calls.
type sessionReads struct {
	memory.Store
	n atomic.Int32
}

func (s *sessionReads) GetSession(ctx context.Context, userID, sessionID string) (memory.SessionState, error) {
	s.n.Add(1)
	return s.Store.GetSession(ctx, userID, sessionID)
}

func addWin(desc string) func(*memory.SessionState) error {
	return func(st *memory.SessionState) error {
		st.Wins = append(st.Wins, memory.Win{Description: desc})
		return nil
	}
}

func wins(st memory.SessionState) []string {
	var out []string
	for _, w := range st.Wins {
		out = append(out, w.Description)
	}
	return out
}

// TestUpdateSessionFromSkipsTheRead: a state just read is not read again.
func TestUpdateSessionFromSkipsTheRead(t *testing.T) {
	var reads *sessionReads
	f := newFixture(t, func(c *memory.Config) { reads = &sessionReads{Store: c.Store}; c.Store = reads })
	for i, win := range []string{"first", "second"} {
		st, err := f.svc.Session(f.ctx, "alice", "s1")
		if err != nil {
			t.Fatal(err)
		}
		before := reads.n.Load()
		got, err := f.svc.UpdateSessionFrom(f.ctx, st, addWin(win))
		if err != nil {
			t.Fatal(err)
		}
		if n := reads.n.Load() - before; n != 0 {
			t.Errorf("update %d read the session %d times, want 0", i+1, n)
		}
		if got.Version != int64(i+1) || len(got.Wins) != i+1 {
			t.Errorf("update %d stored version %d with wins %v, want version %d", i+1, got.Version, wins(got), i+1)
		}
	}
}

// TestUpdateSessionFromStaleStateLosesNothing: another writer updates the
// session between the read and the update; the update must retry on a
// fresh read and keep both changes.
func TestUpdateSessionFromStaleStateLosesNothing(t *testing.T) {
	f := newFixture(t)
	stale, err := f.svc.Session(f.ctx, "alice", "s1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateSession(f.ctx, "alice", "s1", addWin("other device")); err != nil {
		t.Fatal(err)
	}
	calls := 0
	got, err := f.svc.UpdateSessionFrom(f.ctx, stale, func(st *memory.SessionState) error {
		calls++
		return addWin("this device")(st)
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || got.Version != 2 || strings.Join(wins(got), ",") != "other device,this device" {
		t.Errorf("got version %d, wins %v after %d attempts; want version 2, both wins, after 2", got.Version, wins(got), calls)
	}
	if st, err := f.svc.Session(f.ctx, "alice", "s1"); err != nil || len(st.Wins) != 2 {
		t.Errorf("stored: wins %v, %v; want both", wins(st), err)
	}
}

// TestUpdateSessionFromLosesNoConcurrentUpdate is
// TestUpdateSessionLosesNoConcurrentUpdate for writers that each read the
// state first, as the agent's turns do.
func TestUpdateSessionFromLosesNoConcurrentUpdate(t *testing.T) {
	f := newFixture(t)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				st, err := f.svc.Session(f.ctx, "alice", "s1")
				if err == nil {
					_, err = f.svc.UpdateSessionFrom(f.ctx, st, addWin(strings.Repeat("w", w+1)+string(rune('a'+i))))
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st, err := f.svc.Session(f.ctx, "alice", "s1")
	if err != nil || len(st.Wins) != workers*each {
		t.Errorf("%d wins (%v), want %d: an update was lost", len(st.Wins), err, workers*each)
	}
}

func TestUpdateSessionFromRefusesBadIDs(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.UpdateSessionFrom(f.ctx, memory.SessionState{UserID: "alice"}, addWin("x")); err == nil {
		t.Error("a state without a session id: got nil error")
	}
}
