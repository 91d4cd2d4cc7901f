package storetest

import (
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

var profileTests = []test{
	{"NotFound before creation", testProfileNotFound},
	{"create keeps every field", testProfileCreate},
	{"put again replaces the whole profile", testProfileReplace},
	{"empty optional fields stay empty", testProfileEmptyFields},
	{"never expires", testProfileNeverExpires},
	{"users keep their own profiles", testProfilesSeparate},
}

// checkProfile reads user's profile, which must exist, and compares it.
func (f *fixture) checkProfile(what, user string, want memory.Profile) {
	f.Helper()
	got, err := f.store.GetProfile(f.ctx, user)
	if err != nil {
		f.Errorf("%s: GetProfile(%q): got %v, want nil", what, user, err)
		return
	}
	f.report(what, diffProfile(got, want))
}

func testProfileNotFound(f *fixture) {
	f.putProfile(f.profile("bob"))
	_, err := f.store.GetProfile(f.ctx, "alice")
	f.wantCode("GetProfile of a user without a profile", err, steady.NotFound)
}

func testProfileCreate(f *fixture) {
	p := f.profile("alice")
	f.putProfile(p)
	f.checkProfile("GetProfile", "alice", p)
}

func testProfileReplace(f *fixture) {
	f.putProfile(f.profile("alice"))
	p := memory.Profile{
		UserID:                   "alice",
		Diagnosis:                memory.DiagnosisBoth,
		DiagnosisSource:          memory.SourceOfficial,
		PreferredCheckinInterval: 30,
		SensorySensitivities:     []string{"touch"},
		Preferences:              map[string]string{"voice": "bright"}, // "pace" must be gone
		CreatedAt:                f.clock.Now().Add(-time.Hour),
		UpdatedAt:                f.clock.Now(),
	}
	f.putProfile(p)
	f.checkProfile("GetProfile after the replacement", "alice", p)
}

func testProfileEmptyFields(f *fixture) {
	p := memory.Profile{UserID: "alice", Diagnosis: memory.DiagnosisNone, DiagnosisSource: memory.SourceUnspecified}
	f.putProfile(p)
	f.checkProfile("GetProfile", "alice", p)
}

func testProfileNeverExpires(f *fixture) {
	p := f.profile("alice")
	f.putProfile(p)
	f.clock.Advance(366 * 24 * time.Hour)
	f.checkProfile("GetProfile a year later", "alice", p)
}

func testProfilesSeparate(f *fixture) {
	a, b := f.profile("alice"), f.profile("bob")
	b.Diagnosis, b.Preferences = memory.DiagnosisAutism, map[string]string{"voice": "bob's"}
	f.putProfile(a)
	f.putProfile(b)
	f.checkProfile("GetProfile(alice)", "alice", a)
	f.checkProfile("GetProfile(bob)", "bob", b)
}
