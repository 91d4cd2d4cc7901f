package storetest

import (
	"fmt"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// The goroutines of these tests report with Errorf and return: only the
// test's own goroutine may end it.
var concurrencyTests = []test{
	{"PutSession retry loops never lose an update", testSessionRetryLoops},
	{"one of concurrent creations of a session wins", testSessionCreateRace},
	{"one of concurrent puts of an intervention id wins", testInterventionPutRace},
	{"one of concurrent puts of a reflection id wins", testReflectionPutRace},
	{"concurrent score merges are all kept", testConcurrentMerges},
	{"readers never see a half-done SetOutcome", testSetOutcomeAtomic},
}

const (
	writers    = 8
	increments = 10
	maxRetries = 10000 // only there to turn a livelock into a failure
)

func testSessionRetryLoops(f *fixture) {
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range increments {
				f.addWin("alice", "s1", fmt.Sprintf("win %d of writer %d", i, g))
			}
		})
	}
	wg.Wait()
	got, err := f.store.GetSession(f.ctx, "alice", "s1")
	if err != nil {
		f.Fatalf("GetSession: got %v, want nil", err)
	}
	if want := int64(writers * increments); got.Version != want || len(got.Wins) != int(want) {
		f.Errorf("after %d increments: got version %d and %d wins, want %d and %d", want, got.Version, len(got.Wins), want, want)
	}
	seen := map[string]bool{}
	for _, w := range got.Wins {
		seen[w.Description] = true
	}
	if len(seen) != writers*increments {
		f.Errorf("distinct wins: got %d, want %d", len(seen), writers*increments)
	}
}

// addWin is the read-modify-write loop a tool runs: read the state (or
// start one), change it, write it back, and start over on Conflict.
func (f *fixture) addWin(user, sessionID, win string) {
	for range maxRetries {
		s, err := f.store.GetSession(f.ctx, user, sessionID)
		if steady.Is(err, steady.NotFound) {
			s, err = f.session(user, sessionID, sessionTTL), nil
			s.Wins = nil
		}
		if err != nil {
			f.Errorf("GetSession: got %v, want nil or NotFound", err)
			return
		}
		s.Wins = append(s.Wins, memory.Win{Description: win, At: f.clock.Now()})
		_, err = f.store.PutSession(f.ctx, s)
		if !steady.Is(err, steady.Conflict) {
			if err != nil {
				f.Errorf("PutSession: got %v, want nil or Conflict", err)
			}
			return
		}
	}
	f.Errorf("adding %q: still conflicting after %d tries", win, maxRetries)
}

// race runs attempt in writers goroutines at once and checks that exactly
// one succeeded and every other one got a Conflict. It returns the index of
// the winner.
func (f *fixture) race(what string, attempt func(i int) error) int {
	f.Helper()
	var wg sync.WaitGroup
	var wins atomic.Int32
	winner := make(chan int, writers)
	for i := range writers {
		wg.Go(func() {
			err := attempt(i)
			if err == nil {
				wins.Add(1)
				winner <- i
				return
			}
			f.wantCode(what, err, steady.Conflict)
		})
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		f.Fatalf("%s: got %d successes, want 1", what, n)
	}
	return <-winner
}

func testSessionCreateRace(f *fixture) {
	states := make([]memory.SessionState, writers)
	for i := range states {
		states[i] = f.session("alice", "s1", sessionTTL)
		states[i].Task = fmt.Sprintf("task of writer %d", i)
	}
	w := f.race("PutSession(version 0)", func(i int) error {
		_, err := f.store.PutSession(f.ctx, states[i])
		return err
	})
	want := states[w]
	want.Version = 1
	f.checkSession("GetSession after the race", want)
}

func testInterventionPutRace(f *fixture) {
	base := f.intervention("alice", 0, ivTTL)
	ivs := make([]memory.Intervention, writers)
	for i := range ivs {
		ivs[i] = base
		ivs[i].Text = fmt.Sprintf("text of writer %d", i)
	}
	w := f.race("PutIntervention of one id", func(i int) error {
		return f.store.PutIntervention(f.ctx, ivs[i])
	})
	f.checkInterventions("GetInterventions after the race", f.get("alice", base.ID), ivs[w:w+1])
	f.checkCandidates("Candidates after the race", f.candidates("alice"), ivs[w:w+1])
}

func testReflectionPutRace(f *fixture) {
	base := f.reflection("alice", 0, reflTTL)
	rs := make([]memory.Reflection, writers)
	for i := range rs {
		rs[i] = base
		rs[i].Insight = fmt.Sprintf("insight of writer %d", i)
	}
	w := f.race("PutReflection of one id", func(i int) error {
		return f.store.PutReflection(f.ctx, rs[i])
	})
	f.checkReflections("ListReflections after the race", f.reflections("alice", 0), rs[w:w+1])
}

// testConcurrentMerges: scorers write their scores back independently, so
// a merge must not be a read-modify-write that loses another's score.
func testConcurrentMerges(f *fixture) {
	iv := f.intervention("alice", 0, ivTTL)
	f.putInterventions(iv)
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range increments {
				s := map[string]float64{fmt.Sprintf("scorer-%d", g): float64(i)}
				if _, err := f.store.SetOutcome(f.ctx, "alice", iv.ID, memory.TaskCompleted, s); err != nil {
					f.Errorf("SetOutcome: got %v, want nil", err)
					return
				}
			}
		})
	}
	wg.Wait()
	want := maps.Clone(iv.Scores)
	for g := range writers {
		want[fmt.Sprintf("scorer-%d", g)] = increments - 1
	}
	f.checkInterventions("GetInterventions after the merges", f.get("alice", iv.ID), []memory.Intervention{withOutcome(iv, memory.TaskCompleted, want)})
}

// testSetOutcomeAtomic writes outcomes and scores that must go together,
// while readers check that they always do.
func testSetOutcomeAtomic(f *fixture) {
	iv := f.intervention("alice", 0, ivTTL)
	iv.Outcome, iv.Scores = memory.Outcomes[0], map[string]float64{"k": 0, "tag": 0}
	f.putInterventions(iv)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { f.readConsistently(iv, done) })
	}
	for k := 1; k <= 50; k++ {
		o := memory.Outcomes[k%len(memory.Outcomes)]
		if _, err := f.store.SetOutcome(f.ctx, "alice", iv.ID, o, map[string]float64{"k": float64(k), "tag": float64(k)}); err != nil {
			f.Errorf("SetOutcome: got %v, want nil", err)
			break
		}
	}
	close(done)
	wg.Wait()
}

func (f *fixture) readConsistently(iv memory.Intervention, done <-chan struct{}) {
	for {
		got, err := f.store.GetInterventions(f.ctx, iv.UserID, []string{iv.ID})
		if err != nil || len(got) != 1 {
			f.Errorf("GetInterventions: got %d records, error %v; want 1, nil", len(got), err)
			return
		}
		f.checkPair("GetInterventions", got[0].Outcome, got[0].Scores)
		cands, err := f.store.Candidates(f.ctx, iv.UserID)
		if err != nil || len(cands) != 1 {
			f.Errorf("Candidates: got %d, error %v; want 1, nil", len(cands), err)
			return
		}
		f.checkPair("Candidates", cands[0].Outcome, cands[0].Scores)
		select {
		case <-done:
			return
		default:
		}
	}
}

// checkPair checks that an outcome and its scores come from one SetOutcome.
func (f *fixture) checkPair(what string, o memory.Outcome, s map[string]float64) {
	k, tag := s["k"], s["tag"]
	want := memory.Outcomes[int(k)%len(memory.Outcomes)]
	if o != want || k != tag {
		f.Errorf("%s: got outcome %q with k %v and tag %v, want outcome %q and tag %v from one SetOutcome", what, o, k, tag, want, k)
	}
}
