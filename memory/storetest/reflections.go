package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

var reflectionTests = []test{
	{"round trip, newest first", testReflectionsNewestFirst},
	{"limit", testReflectionsLimit},
	{"duplicate id is a conflict", testReflectionDuplicate},
	{"same id of another user is not a conflict", testReflectionSameIDOtherUser},
	{"expired reflections are not listed", testReflectionsExpiry},
	{"user without reflections lists nothing", testReflectionsEmpty},
}

// putFourReflections stores four reflections of alice out of order, and
// some of bob's, and returns alice's newest first.
func (f *fixture) putFourReflections() []memory.Reflection {
	f.Helper()
	var rs []memory.Reflection
	for _, m := range []int{20, 5, 40, 10} {
		rs = append(rs, f.reflection("alice", time.Duration(m)*time.Minute, reflTTL))
	}
	f.putReflections(rs...)
	f.putReflections(f.reflection("bob", 0, reflTTL), f.reflection("bob", time.Hour, reflTTL))
	return []memory.Reflection{rs[1], rs[3], rs[0], rs[2]}
}

func testReflectionsNewestFirst(f *fixture) {
	want := f.putFourReflections()
	f.checkReflections("ListReflections(alice, 0)", f.reflections("alice", 0), want)
}

func testReflectionsLimit(f *fixture) {
	want := f.putFourReflections()
	for _, tt := range []struct{ limit, n int }{{-1, 4}, {0, 4}, {1, 1}, {2, 2}, {4, 4}, {10, 4}} {
		f.Run(fmt.Sprintf("limit %d", tt.limit), func(t *testing.T) {
			g := f.sub(t)
			g.checkReflections("ListReflections", g.reflections("alice", tt.limit), want[:tt.n])
		})
	}
}

func testReflectionDuplicate(f *fixture) {
	r := f.reflection("alice", 0, reflTTL)
	f.putReflections(r)
	again := r
	again.Insight = "a different insight under the same id"
	f.wantCode("PutReflection of a duplicate id", f.store.PutReflection(f.ctx, again), steady.Conflict)
	f.checkReflections("ListReflections after the conflict", f.reflections("alice", 0), []memory.Reflection{r})
}

// testReflectionSameIDOtherUser: as for interventions, another user's id is
// an unknown id.
func testReflectionSameIDOtherUser(f *fixture) {
	a := f.reflection("alice", 0, reflTTL)
	b := a
	b.UserID, b.Insight = "bob", "bob's own insight"
	f.putReflections(a, b)
	f.checkReflections("ListReflections(alice)", f.reflections("alice", 0), []memory.Reflection{a})
	f.checkReflections("ListReflections(bob)", f.reflections("bob", 0), []memory.Reflection{b})
}

func testReflectionsExpiry(f *fixture) {
	lasting := f.reflection("alice", time.Minute, reflTTL)
	expiring := f.reflection("alice", 0, shortTTL)
	f.putReflections(lasting, expiring)
	f.checkReflections("ListReflections before the expiry", f.reflections("alice", 0), []memory.Reflection{expiring, lasting})
	f.clock.Advance(past)
	f.checkReflections("ListReflections after the expiry", f.reflections("alice", 0), []memory.Reflection{lasting})
	f.checkReflections("ListReflections(alice, 1) after the expiry", f.reflections("alice", 1), []memory.Reflection{lasting})
}

func testReflectionsEmpty(f *fixture) {
	f.putReflections(f.reflection("bob", 0, reflTTL))
	if got := f.reflections("alice", 0); len(got) != 0 {
		f.Errorf("ListReflections of a user without reflections: got %d, want 0", len(got))
	}
}
