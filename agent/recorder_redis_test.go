//go:build unix

package agent_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/internal/redistest"
	"github.com/steady-voice/steady/memory"
)

// The Redis tests make the store unavailable by freezing redis-server with
// SIGSTOP (redistest's Suspend) rather than killing it: the server keeps its
// data without persistence, so the test's expectations stay exact, and a
// frozen server is the harder outage — connections hang instead of being
// refused, calls time out, and a write that timed out may still be applied
// when the server resumes. A replay of such a write must find it stored
// (Conflict) and not store it twice.

// TestRecorderSurvivesRedisOutage is the key test: a stream of Records and
// outcomes goes on while the server is frozen and after it is back; once
// the Recorder is closed, every intervention is stored exactly once with
// its final outcome.
func TestRecorderSurvivesRedisOutage(t *testing.T) {
	srv := redistest.Start(t)
	mem := recRedisMemory(t, srv, 200*time.Millisecond)
	rec := recStart(t, mem, filepath.Join(t.TempDir(), "recorder.spool"), func(c *agent.RecorderConfig) {
		c.Backoff, c.ReplayEvery = 10*time.Millisecond, 50*time.Millisecond
	})
	want := recLoad(rec, 7, 500, func(i int) {
		switch i {
		case 150:
			srv.Suspend(t)
		case 250: // deep in the outage: wait until the Recorder has noticed it
			recEventually(t, "jobs go to the spool", func() bool { return rec.Stats().Spooled > 0 })
		case 350:
			srv.Resume(t)
		}
		time.Sleep(time.Millisecond) // a stream, not a burst
	})
	recClose(t, rec)
	recCheckStored(t, mem, want)
	st := rec.Stats()
	if st.Recorded != 500 || st.Outcomes != 167 || st.SpoolPending != 0 || st.Dropped != 0 {
		t.Errorf("Stats: got %+v, want 500 recorded, 167 outcomes, nothing pending or dropped", st)
	}
	if st.Spooled == 0 || st.Replayed != st.Spooled {
		t.Errorf("Stats: got %+v, want jobs spooled during the outage, all of them replayed", st)
	}
	t.Logf("%+v", st)
}

// TestRecorderQueueFullSpoolsThenReplays holds the only worker on a frozen
// server, so the queue of one fills and every later job goes to the spool
// at once; when the server is back, everything is applied, outcomes after
// their Records.
func TestRecorderQueueFullSpoolsThenReplays(t *testing.T) {
	srv := redistest.Start(t)
	mem := recRedisMemory(t, srv, time.Minute) // the worker waits instead of failing
	rec := recStart(t, mem, filepath.Join(t.TempDir(), "recorder.spool"), func(c *agent.RecorderConfig) {
		c.QueueSize, c.Workers = 1, 1
	})
	srv.Suspend(t)
	want := map[string]recWant{}
	first := rec.Record(recIntervention("alice", 0))
	want[first] = recWant{user: "alice", outcome: memory.ReEngaged, score: 0.5}
	recEventually(t, "the worker takes the first job", func() bool { return rec.Stats().Queued == 0 })
	second := rec.Record(recIntervention("alice", 1)) // fills the queue
	want[second] = recWant{user: "alice", outcome: memory.TaskCompleted, score: 1}
	for _, id := range []string{first, second} {
		rec.SetOutcome("alice", id, want[id].outcome, map[string]float64{"effectiveness": want[id].score})
	}
	for i := range 20 {
		want[rec.Record(recIntervention("bob", i))] = recWant{user: "bob", outcome: memory.Pending}
	}
	if st := rec.Stats(); st.Queued != 1 || st.Spooled != 22 {
		t.Fatalf("Stats with the worker held: got %+v, want 1 queued, 22 spooled", st)
	}
	srv.Resume(t)
	recClose(t, rec)
	recCheckStored(t, mem, want)
	// The second Record may follow alice's outcomes into the spool too: the
	// worker finds them there when it takes it.
	if st := rec.Stats(); st.Spooled < 22 || st.Replayed != st.Spooled || st.SpoolPending != 0 || st.Recorded != 22 || st.Outcomes != 2 {
		t.Errorf("Stats: got %+v, want at least 22 spooled, all replayed, 22 recorded, 2 outcomes, nothing pending", st)
	}
}

// TestRecorderCloseTimeoutLeavesSpool closes with an expired context while
// the server is frozen: Close reports it, everything is in the spool, and
// a new Recorder stores it once the server is back.
func TestRecorderCloseTimeoutLeavesSpool(t *testing.T) {
	srv := redistest.Start(t)
	mem := recRedisMemory(t, srv, time.Minute)
	path := filepath.Join(t.TempDir(), "recorder.spool")
	rec := recStart(t, mem, path)
	srv.Suspend(t)
	want := recLoad(rec, 3, 60, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := rec.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close(cancelled ctx): got %v, want context.Canceled", err)
	}
	if st := rec.Stats(); st.SpoolPending != 80 || st.Queued != 0 {
		t.Fatalf("Stats after Close: got %+v, want all 80 jobs pending in the spool", st)
	}
	srv.Resume(t)
	next := recStart(t, mem, path)
	recClose(t, next)
	recCheckStored(t, mem, want)
	if st := next.Stats(); st.Replayed != 80 || st.SpoolPending != 0 {
		t.Errorf("Stats of the next Recorder: got %+v, want 80 replayed, none pending", st)
	}
}
