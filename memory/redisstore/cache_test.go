package redisstore_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady/internal/redistest"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/redisstore"
)

// TestCandidateBlocksAreCandidates: the blocks search ranks on hold what
// Candidates returns, expiry judged by the store's clock in both, also in
// blocks where only some records have expired.
func TestCandidateBlocksAreCandidates(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, _ := openStore(t, sharedServer(t).URL(), redisstore.Options{Now: clock})
	ctx := context.Background()
	var live []string
	for i := range 100 {
		ttl := time.Hour
		if i%3 != 0 {
			ttl = 3 * time.Hour
			live = append(live, "")
		}
		iv := intervention(t, "alice", uint64(i), now, ttl)
		put(t, s, iv)
		if ttl > time.Hour {
			live[len(live)-1] = iv.ID
		}
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	flat, err := s.Candidates(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := s.CandidateBlocks(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(slices.Concat(blocks...)), ids(flat); !slices.Equal(got, want) || !slices.Equal(got, sorted(live)) {
		t.Errorf("CandidateBlocks: got %d ids, Candidates %d; want the %d live ones in both", len(got), len(want), len(live))
	}
	if len(blocks) < 2 {
		t.Errorf("got %d blocks, want several", len(blocks))
	}
}

// TestWriteRefillsTheNextTurnsCache: once a user's candidates are read
// here, a PutIntervention re-reads what it invalidated — the block, the
// record and the state of its session — so the reads of the user's next
// turn send nothing to Redis.
func TestWriteRefillsTheNextTurnsCache(t *testing.T) {
	srv := redistest.Start(t) // private: nothing else moves its counters
	s, _ := openStore(t, srv.URL(), redisstore.Options{})
	raw := rawClient(t, srv.Addr())
	ctx, now := context.Background(), time.Now()
	put(t, s, intervention(t, "alice", 1, now, time.Hour))
	if _, err := s.CandidateBlocks(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	st, err := s.PutSession(ctx, memory.SessionState{UserID: "alice", SessionID: "s1", Task: "laundry", ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	iv := intervention(t, "alice", 2, now, time.Hour)
	put(t, s, iv)
	before := commandCalls(t, raw)
	if _, err := s.CandidateBlocks(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetInterventions(ctx, "alice", []string{iv.ID}); err != nil || len(got) != 1 {
		t.Fatalf("GetInterventions: got %d, %v; want the record", len(got), err)
	}
	if got, err := s.GetSession(ctx, "alice", "s1"); err != nil || got.Version != st.Version {
		t.Fatalf("GetSession: got version %d, %v; want %d", got.Version, err, st.Version)
	}
	if got := sent(before, commandCalls(t, raw)); len(got) != 0 {
		t.Errorf("the next turn's reads: got commands %v, want none", got)
	}
}

// TestWriteOfAnotherUserRefillsNothing: the re-reading is only for users
// whose candidates this store reads; a bulk import pays nothing for it.
func TestWriteOfAnotherUserRefillsNothing(t *testing.T) {
	srv := redistest.Start(t)
	s, _ := openStore(t, srv.URL(), redisstore.Options{})
	raw := rawClient(t, srv.Addr())
	before := commandCalls(t, raw)
	put(t, s, intervention(t, "bob", 1, time.Now(), time.Hour))
	if got := sent(before, commandCalls(t, raw)); got["hvals"] != 0 || got["hgetall"] != 0 || got["hget"] != 0 {
		t.Errorf("PutIntervention of a user never read: got commands %v, want no reads", got)
	}
}

// TestCachedSessionAndProfileSeeWrites: reads of session state and
// profiles go through the client-side cache, yet show this store's own
// writes at once and another process's as soon as Redis says they changed.
func TestCachedSessionAndProfileSeeWrites(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	a, opt := openStore(t, srv.URL(), redisstore.Options{})
	b, _ := openStore(t, srv.URL(), opt) // another process: same keys, own cache
	ctx, exp := context.Background(), time.Now().Add(time.Hour)
	if _, err := a.GetSession(ctx, "alice", "s1"); err == nil {
		t.Fatal("GetSession of a new session: got nil error, want NotFound")
	}
	st, err := a.PutSession(ctx, memory.SessionState{UserID: "alice", SessionID: "s1", Task: "mine", ExpiresAt: exp})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := a.GetSession(ctx, "alice", "s1"); err != nil || got.Task != "mine" {
		t.Errorf("own write: got %q, %v; want %q at once", got.Task, err, "mine")
	}
	st.Task = "theirs"
	if _, err := b.PutSession(ctx, st); err != nil {
		t.Fatal(err)
	}
	eventually(t, "another store's session write shows", func() bool {
		got, err := a.GetSession(ctx, "alice", "s1")
		return err == nil && got.Task == "theirs"
	})

	if _, err := a.GetProfile(ctx, "alice"); err == nil {
		t.Fatal("GetProfile of a new user: got nil error, want NotFound")
	}
	p := memory.Profile{UserID: "alice", Diagnosis: memory.DiagnosisADHD, PreferredCheckinInterval: 5}
	if err := a.PutProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, err := a.GetProfile(ctx, "alice"); err != nil || got.PreferredCheckinInterval != 5 {
		t.Errorf("own profile write: got interval %d, %v; want 5 at once", got.PreferredCheckinInterval, err)
	}
	p.PreferredCheckinInterval = 9
	if err := b.PutProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	eventually(t, "another store's profile write shows", func() bool {
		got, err := a.GetProfile(ctx, "alice")
		return err == nil && got.PreferredCheckinInterval == 9
	})
}

// TestChangedBlockKeepsUnchangedCandidates: after a write to one record
// of a block, the block's other candidates are not decoded again (they
// share their vectors with the previous result), and the changed one is.
func TestChangedBlockKeepsUnchangedCandidates(t *testing.T) {
	t.Parallel()
	s, _ := openStore(t, sharedServer(t).URL(), redisstore.Options{})
	ctx, now := context.Background(), time.Now()
	var ivs []memory.Intervention
	for i := range 20 { // one block
		ivs = append(ivs, intervention(t, "alice", uint64(i), now, time.Hour))
	}
	put(t, s, ivs...)
	before, err := s.Candidates(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetOutcome(ctx, "alice", ivs[3].ID, memory.TaskCompleted, map[string]float64{"effectiveness": 1}); err != nil {
		t.Fatal(err)
	}
	after, err := s.Candidates(ctx, "alice")
	if err != nil || len(after) != len(before) {
		t.Fatalf("Candidates after SetOutcome: got %d, %v; want %d", len(after), err, len(before))
	}
	old := map[string]memory.Candidate{}
	for _, c := range before {
		old[c.ID] = c
	}
	for _, c := range after {
		o := old[c.ID]
		switch shared := &c.Vector[0] == &o.Vector[0]; {
		case c.ID == ivs[3].ID && (c.Outcome != memory.TaskCompleted || c.Scores["effectiveness"] != 1):
			t.Errorf("changed candidate: got %s %v, want task_completed, effectiveness 1", c.Outcome, c.Scores)
		case c.ID == ivs[3].ID && (o.Outcome != memory.Pending || o.Scores["effectiveness"] != 0.5):
			t.Errorf("changed candidate as returned before: got %s %v, want it unchanged", o.Outcome, o.Scores)
		case c.ID != ivs[3].ID && (!shared || c.Outcome != o.Outcome || c.CreatedAt != o.CreatedAt):
			t.Errorf("unchanged candidate %s: decoded again (vector shared: %v) or changed", c.ID, shared)
		}
	}
}

func ids(cands []memory.Candidate) []string {
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.ID
	}
	return sorted(out)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
