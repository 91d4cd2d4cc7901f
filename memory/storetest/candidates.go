package storetest

import (
	"time"

	"github.com/steady-voice/steady/memory"
)

// Candidates is served from a cache in the real stores, so each test reads
// it once before the change it checks: a cache that a write or the clock
// fails to invalidate then shows.
var candidateTests = []test{
	{"exactly the live interventions", testCandidatesLive},
	{"a new record appears at once", testCandidatesNewRecord},
	{"a record disappears once the clock passes its expiry", testCandidatesExpiry},
	{"user without records has none", testCandidatesEmpty},
}

func testCandidatesLive(f *fixture) {
	var live []memory.Intervention
	for i := range 5 {
		live = append(live, f.intervention("alice", time.Duration(i)*time.Minute, ivTTL))
	}
	live = append(live, minimal(f.intervention("alice", 0, ivTTL)))
	f.putInterventions(live...)
	f.putInterventions(f.intervention("alice", 0, shortTTL), f.intervention("alice", time.Hour, shortTTL))
	f.putInterventions(f.intervention("bob", 0, ivTTL), f.intervention("bob", 0, ivTTL))
	f.clock.Advance(past)
	f.checkCandidates("Candidates(alice)", f.candidates("alice"), live)
}

func testCandidatesNewRecord(f *fixture) {
	first := f.intervention("alice", 0, ivTTL)
	f.putInterventions(first)
	f.checkCandidates("Candidates before the write", f.candidates("alice"), []memory.Intervention{first})
	second := f.intervention("alice", 0, ivTTL)
	f.putInterventions(second)
	f.checkCandidates("Candidates after the write", f.candidates("alice"), []memory.Intervention{first, second})
	f.putInterventions(f.intervention("bob", 0, ivTTL))
	f.checkCandidates("Candidates after another user's write", f.candidates("alice"), []memory.Intervention{first, second})
}

func testCandidatesExpiry(f *fixture) {
	lasting := f.intervention("alice", 0, ivTTL)
	expiring := f.intervention("alice", 0, shortTTL)
	f.putInterventions(lasting, expiring)
	f.checkCandidates("Candidates before the expiry", f.candidates("alice"), []memory.Intervention{lasting, expiring})
	f.clock.Advance(past)
	f.checkCandidates("Candidates after the expiry", f.candidates("alice"), []memory.Intervention{lasting})
}

func testCandidatesEmpty(f *fixture) {
	f.putInterventions(f.intervention("bob", 0, ivTTL))
	if got := f.candidates("alice"); len(got) != 0 {
		f.Errorf("Candidates of a user without records: got %d, want 0", len(got))
	}
}
