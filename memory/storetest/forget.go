package storetest

import (
	"fmt"
	"reflect"
	"time"

	"github.com/steady-voice/steady/memory"
)

var forgetTests = []test{
	{"deletes everything of the user and counts it", testForget},
	{"unknown user forgets nothing", testForgetUnknown},
	{"a second Forget forgets nothing", testForgetTwice},
	{"a forgotten user can start again", testForgetThenStartAgain},
}

// userRecords is everything populate stored for one user.
type userRecords struct {
	user        string
	ivs         []memory.Intervention // newest first
	reflections []memory.Reflection   // newest first
	profile     memory.Profile
	sessions    []memory.SessionState // as stored, with their versions
}

// counts is what Forget must report for u.
func (u userRecords) counts() memory.Forgotten {
	return memory.Forgotten{Interventions: len(u.ivs), Reflections: len(u.reflections), Profiles: 1, Sessions: len(u.sessions)}
}

// populate stores three interventions, two reflections, a profile and two
// sessions for user.
func (f *fixture) populate(user string) userRecords {
	f.Helper()
	u := userRecords{user: user, profile: f.profile(user)}
	for i := range 3 {
		u.ivs = append(u.ivs, f.intervention(user, time.Duration(i)*time.Minute, ivTTL))
	}
	for i := range 2 {
		u.reflections = append(u.reflections, f.reflection(user, time.Duration(i)*time.Minute, reflTTL))
	}
	f.putInterventions(u.ivs...)
	f.putReflections(u.reflections...)
	f.putProfile(u.profile)
	for _, sid := range []string{"s1", "s2"} {
		u.sessions = append(u.sessions, f.putSession(f.session(user, sid, sessionTTL)))
	}
	return u
}

// checkUser checks, through every read method, that the store holds exactly
// u's records for u.user.
func (f *fixture) checkUser(what string, u userRecords) {
	f.Helper()
	what = fmt.Sprintf("%s (user %q)", what, u.user)
	f.checkInterventions(what+": GetInterventions", f.get(u.user, ivIDs(u.ivs)...), u.ivs)
	f.checkInterventions(what+": ListInterventions", f.listAll(u.user, 2), u.ivs)
	f.checkCandidates(what+": Candidates", f.candidates(u.user), u.ivs)
	f.checkReflections(what+": ListReflections", f.reflections(u.user, 0), u.reflections)
	f.checkProfile(what+": GetProfile", u.user, u.profile)
	for _, s := range u.sessions {
		f.checkSession(what+": GetSession", s)
	}
}

// checkGone checks, through every read method, that none of u's records
// is left.
func (f *fixture) checkGone(what string, u userRecords) {
	f.Helper()
	what = fmt.Sprintf("%s (user %q)", what, u.user)
	if got := f.get(u.user, ivIDs(u.ivs)...); len(got) != 0 {
		f.Errorf("%s: GetInterventions: got %d records, want 0", what, len(got))
	}
	if got := f.listAll(u.user, 2); len(got) != 0 {
		f.Errorf("%s: ListInterventions: got %d records, want 0", what, len(got))
	}
	if got := f.candidates(u.user); len(got) != 0 {
		f.Errorf("%s: Candidates: got %d, want 0", what, len(got))
	}
	if got := f.reflections(u.user, 0); len(got) != 0 {
		f.Errorf("%s: ListReflections: got %d, want 0", what, len(got))
	}
	if _, err := f.store.GetProfile(f.ctx, u.user); err == nil {
		f.Errorf("%s: GetProfile: got a profile, want NotFound", what)
	}
	for _, s := range u.sessions {
		f.wantNoSession(what, u.user, s.SessionID)
	}
}

func (f *fixture) checkForgotten(user string, want memory.Forgotten) {
	f.Helper()
	if got := f.forget(user); got != want {
		f.Errorf("Forget(%q): got %+v, want %+v", user, got, want)
	}
}

func testForget(f *fixture) {
	alice, bob := f.populate("alice"), f.populate("bob")
	f.candidates("alice") // warm any cache Forget must invalidate
	f.checkForgotten("alice", alice.counts())
	f.checkGone("after Forget", alice)
	f.checkUser("the other user after Forget", bob)
}

func testForgetUnknown(f *fixture) {
	bob := f.populate("bob")
	f.checkForgotten("nobody", memory.Forgotten{})
	f.checkUser("after Forget of an unknown user", bob)
}

func testForgetTwice(f *fixture) {
	alice := f.populate("alice")
	f.checkForgotten("alice", alice.counts())
	f.checkForgotten("alice", memory.Forgotten{})
}

// testForgetThenStartAgain stores the very same records again: a store that
// left an index entry or a tombstone behind reports a conflict or a stale
// session version.
func testForgetThenStartAgain(f *fixture) {
	alice := f.populate("alice")
	f.checkForgotten("alice", alice.counts())
	f.putInterventions(alice.ivs...)
	f.putReflections(alice.reflections...)
	f.putProfile(alice.profile)
	for i, s := range alice.sessions {
		s.Version = 0
		alice.sessions[i] = f.write(s)
	}
	f.checkUser("after storing everything again", alice)
}

var totalsTests = []test{
	{"empty store counts nothing", testTotalsEmpty},
	{"counts live records across users", testTotals},
}

func (f *fixture) checkTotals(what string, want memory.Totals) {
	f.Helper()
	// Only the counts: the tools and days have their own cases (usage.go).
	got := f.totals()
	got.Tools, got.Daily, want.Tools, want.Daily = nil, nil, nil, nil
	if !reflect.DeepEqual(got, want) {
		f.Errorf("Totals %s: got %+v, want %+v", what, got, want)
	}
}

func testTotalsEmpty(f *fixture) {
	f.checkTotals("of an empty store", memory.Totals{})
}

// testTotals gives every user a profile, so that "users" means the same
// whether a store counts users with a profile or users with any record.
func testTotals(f *fixture) {
	f.populate("alice") // 3 interventions, 2 reflections, 1 profile, 2 sessions
	f.putProfile(f.profile("bob"))
	f.putInterventions(f.intervention("bob", 0, ivTTL), f.intervention("bob", 0, shortTTL))
	f.putReflections(f.reflection("bob", 0, shortTTL))
	f.putSession(f.session("bob", "s1", shortTTL))
	f.putSession(f.session("bob", "s2", sessionTTL))
	f.putProfile(f.profile("carol"))
	f.checkTotals("at first", memory.Totals{Users: 3, Interventions: 5, Reflections: 3, Profiles: 3, Sessions: 4})
	f.clock.Advance(past)
	f.checkTotals("after some records expired", memory.Totals{Users: 3, Interventions: 4, Reflections: 2, Profiles: 3, Sessions: 3})
	f.forget("alice")
	f.checkTotals("after Forget(alice)", memory.Totals{Users: 2, Interventions: 1, Reflections: 0, Profiles: 2, Sessions: 1})
}
