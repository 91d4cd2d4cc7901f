package storetest

import (
	"fmt"
	"maps"
	"testing"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

var interventionTests = []test{
	{"round trip keeps every field", testRoundTrip},
	{"duplicate id is a conflict", testDuplicateIntervention},
	{"same id of another user is not a conflict", testSameIDOtherUser},
	{"GetInterventions keeps the order of ids", testGetOrder},
	{"GetInterventions leaves out unknown, expired and other users' ids", testGetLeavesOut},
	{"GetInterventions of no ids returns nothing", testGetNothing},
	{"live until ExpiresAt by the store's clock", testInterventionExpiry},
}

func testRoundTrip(f *fixture) {
	full := f.intervention("alice", 0, ivTTL)
	bare := minimal(f.intervention("alice", 0, ivTTL))
	f.putInterventions(full, bare)
	f.checkInterventions("GetInterventions", f.get("alice", full.ID, bare.ID), []memory.Intervention{full, bare})
}

func testDuplicateIntervention(f *fixture) {
	iv := f.intervention("alice", 0, ivTTL)
	f.putInterventions(iv)
	again := iv
	again.Text = "a different text under the same id"
	f.wantCode("PutIntervention of a duplicate id", f.store.PutIntervention(f.ctx, again), steady.Conflict)
	f.checkInterventions("GetInterventions after the conflict", f.get("alice", iv.ID), []memory.Intervention{iv})
	f.checkCandidates("Candidates after the conflict", f.candidates("alice"), []memory.Intervention{iv})
}

// testSameIDOtherUser follows "an id of another user's record behaves
// exactly like an unknown id": storing it for a second user succeeds, and
// each user keeps their own record.
func testSameIDOtherUser(f *fixture) {
	a := f.intervention("alice", 0, ivTTL)
	b := forUser(a, "bob")
	f.putInterventions(a, b)
	f.checkInterventions("GetInterventions(alice)", f.get("alice", a.ID), []memory.Intervention{a})
	f.checkInterventions("GetInterventions(bob)", f.get("bob", a.ID), []memory.Intervention{b})
	f.checkCandidates("Candidates(bob)", f.candidates("bob"), []memory.Intervention{b})
}

func testGetOrder(f *fixture) {
	var ivs []memory.Intervention
	for range 5 {
		ivs = append(ivs, f.intervention("alice", 0, ivTTL))
	}
	f.putInterventions(ivs...)
	for _, order := range [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {3, 0, 4, 1, 2}, {2}} {
		var ids []string
		var want []memory.Intervention
		for _, i := range order {
			ids = append(ids, ivs[i].ID)
			want = append(want, ivs[i])
		}
		f.checkInterventions(fmt.Sprintf("GetInterventions in order %v", order), f.get("alice", ids...), want)
	}
}

func testGetLeavesOut(f *fixture) {
	live1 := f.intervention("alice", 0, ivTTL)
	live2 := f.intervention("alice", 0, ivTTL)
	expiring := f.intervention("alice", 0, shortTTL)
	bobs := f.intervention("bob", 0, ivTTL)
	f.putInterventions(live1, live2, expiring, bobs)
	f.clock.Advance(past)
	got := f.get("alice", f.newID(), live2.ID, bobs.ID, expiring.ID, live1.ID, "not-an-id")
	f.checkInterventions("GetInterventions", got, []memory.Intervention{live2, live1})
}

func testGetNothing(f *fixture) {
	f.putInterventions(f.intervention("alice", 0, ivTTL))
	for _, tt := range []struct {
		name, user string
		ids        []string
	}{
		{"nil ids", "alice", nil},
		{"empty ids", "alice", []string{}},
		{"user without records", "nobody", nil},
	} {
		if got := f.get(tt.user, tt.ids...); len(got) != 0 {
			f.Errorf("GetInterventions(%s): got %d records, want 0", tt.name, len(got))
		}
	}
}

func testInterventionExpiry(f *fixture) {
	iv := f.intervention("alice", 0, shortTTL)
	f.putInterventions(iv)
	f.clock.Advance(shortTTL - ms)
	f.checkInterventions("GetInterventions 1ms before ExpiresAt", f.get("alice", iv.ID), []memory.Intervention{iv})
	f.clock.Advance(2 * ms)
	f.checkInterventions("GetInterventions 1ms after ExpiresAt", f.get("alice", iv.ID), nil)
}

var setOutcomeTests = []test{
	{"sets outcome and merges scores", testSetOutcomeMerges},
	{"nil scores keep the scores", testSetOutcomeNilScores},
	{"scores on a record without scores", testSetOutcomeFirstScores},
	{"keeps ExpiresAt", testSetOutcomeKeepsExpiry},
	{"NotFound without a live record of the user", testSetOutcomeNotFound},
	{"Candidates reflect it at once", testSetOutcomeCandidates},
}

// withOutcome is iv as SetOutcome must leave it.
func withOutcome(iv memory.Intervention, o memory.Outcome, s map[string]float64) memory.Intervention {
	merged := maps.Clone(iv.Scores)
	if merged == nil && len(s) > 0 {
		merged = map[string]float64{}
	}
	maps.Copy(merged, s)
	iv.Outcome, iv.Scores = o, merged
	return iv
}

// setOutcome calls SetOutcome, which must succeed, and checks that the
// record it returns and the one stored are both want.
func (f *fixture) setOutcome(iv memory.Intervention, o memory.Outcome, s map[string]float64) memory.Intervention {
	f.Helper()
	want := withOutcome(iv, o, s)
	got, err := f.store.SetOutcome(f.ctx, iv.UserID, iv.ID, o, s)
	if err != nil {
		f.Fatalf("SetOutcome(%q, %s): got %v, want nil", iv.UserID, iv.ID, err)
	}
	f.report("SetOutcome's result", diffIntervention(got, want))
	f.checkInterventions("GetInterventions after SetOutcome", f.get(iv.UserID, iv.ID), []memory.Intervention{want})
	return want
}

func testSetOutcomeMerges(f *fixture) {
	iv := f.intervention("alice", 0, ivTTL)
	other := f.intervention("alice", 0, ivTTL)
	f.putInterventions(iv, other)
	iv = f.setOutcome(iv, memory.TaskCompleted, map[string]float64{"effectiveness": 0.25, "helpfulness": -1.5})
	f.setOutcome(iv, memory.Abandoned, map[string]float64{"helpfulness": 0.125})
	f.checkInterventions("the user's other record", f.get("alice", other.ID), []memory.Intervention{other})
}

func testSetOutcomeNilScores(f *fixture) {
	iv := f.intervention("alice", 0, ivTTL)
	f.putInterventions(iv)
	iv = f.setOutcome(iv, memory.Distracted, nil)
	f.setOutcome(iv, memory.ReEngaged, map[string]float64{})
}

func testSetOutcomeFirstScores(f *fixture) {
	iv := minimal(f.intervention("alice", 0, ivTTL))
	f.putInterventions(iv)
	iv = f.setOutcome(iv, memory.TaskStarted, nil)
	f.setOutcome(iv, memory.TaskProgress, map[string]float64{"effectiveness": 0.5})
}

func testSetOutcomeKeepsExpiry(f *fixture) {
	iv := f.intervention("alice", 0, 2*shortTTL)
	f.putInterventions(iv)
	f.clock.Advance(shortTTL)
	f.setOutcome(iv, memory.TaskCompleted, map[string]float64{"effectiveness": 1})
	f.clock.Advance(past)
	f.checkInterventions("GetInterventions after the original ExpiresAt", f.get("alice", iv.ID), nil)
	_, err := f.store.SetOutcome(f.ctx, "alice", iv.ID, memory.ReEngaged, nil)
	f.wantCode("SetOutcome after the original ExpiresAt", err, steady.NotFound)
}

func testSetOutcomeNotFound(f *fixture) {
	expiring := f.intervention("alice", 0, shortTTL)
	bobs := f.intervention("bob", 0, ivTTL)
	f.putInterventions(expiring, bobs)
	f.clock.Advance(past)
	for _, tt := range []struct{ name, user, id string }{
		{"unknown id", "alice", f.newID()},
		{"another user's id", "alice", bobs.ID},
		{"expired id", "alice", expiring.ID},
		{"unknown user", "nobody", bobs.ID},
	} {
		f.Run(tt.name, func(t *testing.T) {
			g := f.sub(t)
			_, err := g.store.SetOutcome(g.ctx, tt.user, tt.id, memory.TaskCompleted, map[string]float64{"x": 1})
			g.wantCode("SetOutcome", err, steady.NotFound)
		})
	}
	f.checkInterventions("bob's record after alice's SetOutcome", f.get("bob", bobs.ID), []memory.Intervention{bobs})
}

func testSetOutcomeCandidates(f *fixture) {
	iv := f.intervention("alice", 0, ivTTL)
	f.putInterventions(iv)
	f.checkCandidates("Candidates before SetOutcome", f.candidates("alice"), []memory.Intervention{iv})
	iv = f.setOutcome(iv, memory.ReEngaged, map[string]float64{"effectiveness": 0.9, "new": 2})
	f.checkCandidates("Candidates after SetOutcome", f.candidates("alice"), []memory.Intervention{iv})
	iv = f.setOutcome(iv, memory.Abandoned, map[string]float64{"effectiveness": 0.1})
	f.checkCandidates("Candidates after a second SetOutcome", f.candidates("alice"), []memory.Intervention{iv})
}
