package storetest

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// hostileUsers are user ids that look like key syntax (hash tags,
// separators, glob patterns), SQL (LIKE wildcards, quotes) or need encoding,
// next to the plain ids they could be confused with. The Service validates
// ids, but a store must keep users apart whatever bytes an id holds.
var hostileUsers = []string{
	"a", "b", "x", "u:x",
	"a:b", "{u:x}", "{u:a}", "x}:iv:1",
	"*", "[ab]", "%", "_",
	"a%", "user with spaces", "ünï", "'; DROP TABLE interventions; --",
}

var isolationTests = []test{
	{"hostile user ids stay isolated", testHostileUsers},
	{"concurrent users never see each other's records", testConcurrentUsers},
}

// testHostileUsers gives every user the same session ids, one intervention
// and one reflection with an id all users share, and records of their own;
// then it forgets the users whose ids look most like patterns.
func testHostileUsers(f *fixture) {
	sharedIV := f.intervention("nobody", 10*time.Minute, ivTTL)
	sharedRefl := f.reflection("nobody", 10*time.Minute, reflTTL)
	records := map[string]userRecords{}
	for _, user := range hostileUsers {
		u := f.populate(user)
		iv := forUser(sharedIV, user)
		r := sharedRefl
		r.UserID, r.Insight = user, "insight of "+user
		f.putInterventions(iv)
		f.putReflections(r)
		u.ivs, u.reflections = append(u.ivs, iv), append(u.reflections, r) // the oldest of each
		records[user] = u
	}
	for _, user := range hostileUsers {
		f.checkUser("after every user wrote", records[user])
	}
	n := len(hostileUsers)
	f.checkTotals("of every user", memory.Totals{Users: n, Interventions: 4 * n, Reflections: 3 * n, Profiles: n, Sessions: 2 * n})
	forgotten := []string{"*", "a", "%", "_", "[ab]", "{u:x}"}
	for _, user := range forgotten {
		f.checkForgotten(user, records[user].counts())
		f.checkGone("after its Forget", records[user])
	}
	for _, user := range hostileUsers {
		if !slices.Contains(forgotten, user) {
			f.checkUser("after other users were forgotten", records[user])
		}
	}
}

// testConcurrentUsers has every user write records while reading all of
// their own back through every read method, and asking for other users'.
func testConcurrentUsers(f *fixture) {
	const perUser = 20
	ivs := map[string][]memory.Intervention{}
	for _, user := range hostileUsers {
		for i := range perUser {
			ivs[user] = append(ivs[user], f.intervention(user, time.Duration(i)*time.Second, ivTTL))
		}
	}
	var wg sync.WaitGroup
	for i, user := range hostileUsers {
		neighbour := ivs[hostileUsers[(i+1)%len(hostileUsers)]]
		wg.Go(func() { f.writeAndRead(ivs[user], neighbour) })
	}
	wg.Wait()
	for _, user := range hostileUsers {
		want := newestFirst(ivs[user])
		f.checkInterventions(fmt.Sprintf("ListInterventions(%q)", user), f.listAll(user, 7), want)
		f.checkCandidates(fmt.Sprintf("Candidates(%q)", user), f.candidates(user), want)
		f.checkInterventions(fmt.Sprintf("GetInterventions(%q)", user), f.get(user, ivIDs(ivs[user])...), ivs[user])
	}
}

// writeAndRead runs in its own goroutine, so it reports with Errorf and
// returns instead of ending the test.
func (f *fixture) writeAndRead(own, neighbour []memory.Intervention) {
	user := own[0].UserID
	for i, iv := range own {
		if err := f.store.PutIntervention(f.ctx, iv); err != nil {
			f.Errorf("PutIntervention(%q): got %v, want nil", user, err)
			return
		}
		if !f.readOwn(own[:i+1]) {
			return
		}
		foreign := neighbour[i].ID
		got, err := f.store.GetInterventions(f.ctx, user, []string{foreign, iv.ID})
		if err != nil || len(got) != 1 || got[0].UserID != user {
			f.Errorf("GetInterventions(%q, [neighbour's id, own id]): got %d records of %v, error %v; want only the own one", user, len(got), userIDs(got), err)
		}
		_, err = f.store.SetOutcome(f.ctx, user, foreign, memory.Abandoned, map[string]float64{"intruder": 1})
		f.wantCode(fmt.Sprintf("SetOutcome(%q, neighbour's id)", user), err, steady.NotFound)
	}
}

// readOwn checks that the user sees exactly the records written so far.
func (f *fixture) readOwn(written []memory.Intervention) bool {
	user := written[0].UserID
	byID := map[string]memory.Intervention{}
	for _, iv := range written {
		byID[iv.ID] = iv
	}
	cands, err := f.store.Candidates(f.ctx, user)
	if err != nil || len(cands) != len(written) {
		f.Errorf("Candidates(%q) after %d writes: got %d, error %v; want %d, nil", user, len(written), len(cands), err, len(written))
		return false
	}
	for _, c := range cands {
		iv, ok := byID[c.ID]
		if !ok {
			f.Errorf("Candidates(%q): got id %s, want only the user's own", user, c.ID)
			return false
		}
		f.report(fmt.Sprintf("Candidates(%q)", user), diffCandidate(c, candidateOf(iv)))
	}
	page, _, err := f.store.ListInterventions(f.ctx, user, "", 5)
	if err != nil {
		f.Errorf("ListInterventions(%q): got %v, want nil", user, err)
		return false
	}
	for _, got := range page {
		if want, ok := byID[got.ID]; !ok || got.UserID != user {
			f.Errorf("ListInterventions(%q): got a record %s of user %q, want only the user's own", user, got.ID, got.UserID)
		} else {
			f.report(fmt.Sprintf("ListInterventions(%q)", user), diffIntervention(got, want))
		}
	}
	return true
}
