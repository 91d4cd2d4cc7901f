package storetest

import (
	"maps"
	"slices"

	"github.com/steady-voice/steady/memory"
)

// "Returned slices and maps belong to the caller, except what Candidates
// returns": a caller may scribble on what it got, and a store that handed
// out its own (cached) maps or slices would see its records change.
var ownershipTests = []test{
	{"returned interventions belong to the caller", testOwnInterventions},
	{"candidates handed out never change", testCandidatesStayPut},
	{"returned profiles belong to the caller", testOwnProfile},
	{"returned sessions belong to the caller", testOwnSession},
}

func scribbleIntervention(iv *memory.Intervention) {
	if iv.Scores != nil {
		iv.Scores["effectiveness"] = 99
		iv.Scores["intruder"] = 1
	}
	if len(iv.Embedding) > 0 {
		iv.Embedding[0] = 99
	}
	if len(iv.Args) > 0 {
		iv.Args[0] = '['
	}
}

func testOwnInterventions(f *fixture) {
	iv := f.intervention("alice", 0, ivTTL)
	f.putInterventions(iv)
	for _, got := range f.get("alice", iv.ID) {
		scribbleIntervention(&got)
	}
	page, _, err := f.store.ListInterventions(f.ctx, "alice", "", 10)
	if err != nil {
		f.Fatalf("ListInterventions: got %v, want nil", err)
	}
	for i := range page {
		scribbleIntervention(&page[i])
	}
	f.checkInterventions("GetInterventions after the caller changed what it got", f.get("alice", iv.ID), []memory.Intervention{iv})
	updated, err := f.store.SetOutcome(f.ctx, "alice", iv.ID, memory.TaskCompleted, map[string]float64{"x": 1})
	if err != nil {
		f.Fatalf("SetOutcome: got %v, want nil", err)
	}
	scribbleIntervention(&updated)
	want := withOutcome(iv, memory.TaskCompleted, map[string]float64{"x": 1})
	f.checkInterventions("GetInterventions after the caller changed SetOutcome's result", f.get("alice", iv.ID), []memory.Intervention{want})
	f.checkCandidates("Candidates after the caller changed SetOutcome's result", f.candidates("alice"), []memory.Intervention{want})
}

// testCandidatesStayPut: Candidates are shared with the store's cache and
// read-only, so the store must never change a slice it has handed out: a
// write builds new candidates instead of updating the old ones in place.
func testCandidatesStayPut(f *fixture) {
	iv := f.intervention("alice", 0, ivTTL)
	f.putInterventions(iv)
	before := f.candidates("alice")
	snapshot := make([]memory.Candidate, len(before))
	for i, c := range before {
		snapshot[i] = c
		snapshot[i].Scores = maps.Clone(c.Scores)
		snapshot[i].Vector = slices.Clone(c.Vector)
	}
	if _, err := f.store.SetOutcome(f.ctx, "alice", iv.ID, memory.Abandoned, map[string]float64{"effectiveness": 0.01}); err != nil {
		f.Fatalf("SetOutcome: got %v, want nil", err)
	}
	f.putInterventions(f.intervention("alice", 1, ivTTL))
	for i, c := range before {
		s := snapshot[i]
		if c.ID != s.ID || c.Outcome != s.Outcome || !maps.Equal(c.Scores, s.Scores) || !slices.Equal(c.Vector, s.Vector) {
			f.Errorf("a candidate handed out before a write changed: got %+v, want %+v", c, s)
		}
	}
}

func testOwnProfile(f *fixture) {
	p := f.profile("alice")
	f.putProfile(p)
	got, err := f.store.GetProfile(f.ctx, "alice")
	if err != nil {
		f.Fatalf("GetProfile: got %v, want nil", err)
	}
	if len(got.Preferences) == 0 || len(got.SensorySensitivities) == 0 {
		f.Fatalf("GetProfile: got %+v, want the profile stored", got)
	}
	got.Preferences["voice"] = "changed by the caller"
	got.Preferences["intruder"] = "x"
	got.SensorySensitivities[0] = "changed by the caller"
	f.checkProfile("GetProfile after the caller changed what it got", "alice", p)
}

func testOwnSession(f *fixture) {
	s := f.session("alice", "s1", sessionTTL)
	put := f.putSession(s)
	got, err := f.store.GetSession(f.ctx, "alice", "s1")
	if err != nil {
		f.Fatalf("GetSession: got %v, want nil", err)
	}
	for _, st := range []*memory.SessionState{&put, &got} {
		if len(st.Steps) == 0 || len(st.Checkins) == 0 || len(st.Wins) == 0 {
			f.Fatalf("session: got %+v, want the session stored", *st)
		}
		st.Steps[0] = "changed by the caller"
		st.Checkins[0].Message = "changed by the caller"
		st.Wins[0].Description = "changed by the caller"
	}
	s.Version = 1
	f.checkSession("GetSession after the caller changed what it got", s)
}
