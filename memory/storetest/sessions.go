package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

var sessionTests = []test{
	{"NotFound for an unknown session", testSessionNotFound},
	{"version 0 creates version 1", testSessionCreate},
	{"each write increments the version", testSessionVersions},
	{"a stale or future version is a conflict and changes nothing", testSessionConflict},
	{"an expired session counts as absent", testSessionExpiry},
	{"each write sets the expiry", testSessionWriteSetsExpiry},
	{"sessions of one user are separate", testSessionsOfOneUser},
	{"one session id of two users is separate", testSessionIDOfTwoUsers},
	{"empty optional fields stay empty", testSessionEmptyFields},
}

// write stores s, which must succeed, and checks that PutSession returned
// and stored s with the next version.
func (f *fixture) write(s memory.SessionState) memory.SessionState {
	f.Helper()
	want := s
	want.Version++
	got := f.putSession(s)
	f.report(fmt.Sprintf("PutSession(version %d)'s result", s.Version), diffSession(got, want))
	f.checkSession(fmt.Sprintf("GetSession after PutSession(version %d)", s.Version), want)
	return want
}

// checkSession reads want's session, which must exist, and compares it.
func (f *fixture) checkSession(what string, want memory.SessionState) {
	f.Helper()
	got, err := f.store.GetSession(f.ctx, want.UserID, want.SessionID)
	if err != nil {
		f.Errorf("%s: GetSession(%q, %q): got %v, want nil", what, want.UserID, want.SessionID, err)
		return
	}
	f.report(what, diffSession(got, want))
}

func (f *fixture) wantNoSession(what, user, sessionID string) {
	f.Helper()
	_, err := f.store.GetSession(f.ctx, user, sessionID)
	f.wantCode(fmt.Sprintf("%s: GetSession(%q, %q)", what, user, sessionID), err, steady.NotFound)
}

func testSessionNotFound(f *fixture) {
	f.write(f.session("bob", "s1", sessionTTL))
	f.write(f.session("alice", "s2", sessionTTL))
	f.wantNoSession("unknown session", "alice", "s1")
	f.wantNoSession("unknown user", "carol", "s1")
}

func testSessionCreate(f *fixture) {
	f.write(f.session("alice", "s1", sessionTTL))
}

func testSessionVersions(f *fixture) {
	s := f.write(f.session("alice", "s1", sessionTTL))
	for want := int64(2); want <= 4; want++ {
		s.Steps = append(s.Steps, fmt.Sprintf("step %d", want))
		s.CurrentStep++
		s.UpdatedAt = f.clock.Now()
		if s = f.write(s); s.Version != want {
			f.Fatalf("version after %d writes: got %d, want %d", want, s.Version, want)
		}
	}
}

func testSessionConflict(f *fixture) {
	v1 := f.write(f.session("alice", "s1", sessionTTL))
	v2 := v1
	v2.Task = "the second version"
	v2 = f.write(v2)
	for _, version := range []int64{0, 1, 3, 7} {
		f.Run(fmt.Sprintf("version %d", version), func(t *testing.T) {
			g := f.sub(t)
			stale := v1
			stale.Task, stale.Version = "must not be stored", version
			_, err := g.store.PutSession(g.ctx, stale)
			g.wantCode(fmt.Sprintf("PutSession(version %d) over version 2", version), err, steady.Conflict)
			g.checkSession("GetSession after the conflict", v2)
		})
	}
}

func testSessionExpiry(f *fixture) {
	s := f.session("alice", "s1", shortTTL)
	old := f.write(s)
	f.clock.Advance(past)
	f.wantNoSession("after the expiry", "alice", "s1")
	_, err := f.store.PutSession(f.ctx, old)
	f.wantCode("PutSession(version 1) over an expired session", err, steady.Conflict)
	fresh := f.session("alice", "s1", sessionTTL)
	fresh.Task = "after the expiry"
	f.write(fresh)
}

// testSessionWriteSetsExpiry: "until s.ExpiresAt" — the latest write decides
// when the session expires, whether it lengthens or shortens its life.
func testSessionWriteSetsExpiry(f *fixture) {
	s := f.write(f.session("alice", "s1", shortTTL))
	s.ExpiresAt = f.clock.Now().Add(3 * shortTTL)
	s = f.write(s)
	f.clock.Advance(2 * shortTTL)
	f.checkSession("after the first ExpiresAt, before the second", s)
	s.ExpiresAt = f.clock.Now().Add(shortTTL)
	f.write(s)
	f.clock.Advance(past)
	f.wantNoSession("after the shortened expiry", "alice", "s1")
}

func testSessionsOfOneUser(f *fixture) {
	s1 := f.write(f.session("alice", "s1", sessionTTL))
	s2 := f.session("alice", "s2", sessionTTL)
	s2.Task = "the second session's task"
	s2 = f.write(s2)
	s1.Task = "changed in s1"
	s1 = f.write(s1)
	f.checkSession("s2 after a write to s1", s2)
	if s1.Version != 2 || s2.Version != 1 {
		f.Errorf("versions: got s1 %d and s2 %d, want 2 and 1", s1.Version, s2.Version)
	}
}

func testSessionIDOfTwoUsers(f *fixture) {
	a := f.write(f.session("alice", "shared", sessionTTL))
	b := f.session("bob", "shared", sessionTTL)
	b.Task, b.Steps = "bob's task", []string{"bob's step"}
	b = f.write(b) // version 0 again: bob has no such session
	a.Task = "alice's second write"
	f.write(a)
	f.checkSession("bob's session after alice's write", b)
	stale := b
	stale.Version = 0
	_, err := f.store.PutSession(f.ctx, stale)
	f.wantCode("PutSession(bob, version 0) over bob's version 1", err, steady.Conflict)
}

func testSessionEmptyFields(f *fixture) {
	f.write(memory.SessionState{
		UserID:    "alice",
		SessionID: "s1",
		UpdatedAt: f.clock.Now(),
		ExpiresAt: f.clock.Now().Add(sessionTTL),
	})
	s := f.session("alice", "s2", sessionTTL)
	s.LastCheckin = time.Time{}
	f.write(s)
}
