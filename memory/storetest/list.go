package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

var listTests = []test{
	{"newest first by CreatedAt then ID", testListOrder},
	{"pages walk every record once", testListPages},
	{"user without records lists nothing", testListEmpty},
	{"expired records are never listed", testListExpired},
	{"a cursor survives the expiry of its record", testListCursorAfterExpiry},
	{"foreign and malformed cursors are invalid", testListInvalidCursors},
}

// orderMinutes are the ages, in minutes, of the records the listing tests
// use. They repeat (equal CreatedAt, ordered by ID) and do not follow the
// order the ids were made in, so a store that sorts by id alone — or by
// CreatedAt alone — lists them wrong.
var orderMinutes = []int{5, 3, 3, 9, 0, 7, 3, 1, 11, 2, 2, 6}

// putListed stores alice's records of orderMinutes, in reverse, interleaved
// with bob's, and returns alice's in the order they must be listed.
func (f *fixture) putListed() []memory.Intervention {
	f.Helper()
	var alices []memory.Intervention
	for _, m := range orderMinutes {
		alices = append(alices, f.intervention("alice", time.Duration(m)*time.Minute, ivTTL))
	}
	for i := len(alices) - 1; i >= 0; i-- {
		f.putInterventions(alices[i], f.intervention("bob", time.Duration(i)*time.Minute, ivTTL))
	}
	return newestFirst(alices)
}

func testListOrder(f *fixture) {
	want := f.putListed()
	page, next, err := f.store.ListInterventions(f.ctx, "alice", "", 100)
	if err != nil {
		f.Fatalf("ListInterventions: got %v, want nil", err)
	}
	if next != "" {
		f.Errorf("ListInterventions of everything: got next %q, want \"\"", next)
	}
	f.checkInterventions("ListInterventions", page, want)
}

func testListPages(f *fixture) {
	want := f.putListed()
	for _, limit := range []int{1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 100} {
		f.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			g := f.sub(t)
			g.checkInterventions("pages", g.listAll("alice", limit), want)
		})
	}
}

func testListEmpty(f *fixture) {
	f.putInterventions(f.intervention("bob", 0, ivTTL))
	page, next, err := f.store.ListInterventions(f.ctx, "alice", "", 10)
	if err != nil || len(page) != 0 || next != "" {
		f.Errorf("ListInterventions of a user without records: got %d records, next %q, error %v; want 0, \"\", nil", len(page), next, err)
	}
}

// testListExpired expires the newest record, some in the middle and the
// oldest ones, so the last live record is followed only by expired ones:
// its page must still be the last.
func testListExpired(f *fixture) {
	expired := map[int]bool{0: true, 4: true, 7: true, 8: true, 9: true}
	var all, live []memory.Intervention
	for i := range 10 {
		ttl := ivTTL
		if expired[i] {
			ttl = shortTTL
		}
		iv := f.intervention("alice", time.Duration(i)*time.Minute, ttl)
		all = append(all, iv)
		if !expired[i] {
			live = append(live, iv)
		}
	}
	f.putInterventions(all...)
	f.checkInterventions("before the expiry", f.listAll("alice", 3), all)
	f.clock.Advance(past)
	for _, limit := range []int{1, 2, 3, 4, 5, 7, 10} {
		f.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			g := f.sub(t)
			g.checkInterventions("after the expiry", g.listAll("alice", limit), live)
		})
	}
}

// testListCursorAfterExpiry checks that a cursor marks a position, not a
// record: the record a page ended on may expire before the next page is read.
func testListCursorAfterExpiry(f *fixture) {
	var ivs []memory.Intervention
	for i := range 6 {
		ttl := ivTTL
		if i == 2 {
			ttl = shortTTL
		}
		ivs = append(ivs, f.intervention("alice", time.Duration(i+1)*time.Minute, ttl))
	}
	f.putInterventions(ivs...)
	first, next, err := f.store.ListInterventions(f.ctx, "alice", "", 3)
	if err != nil || next == "" {
		f.Fatalf("ListInterventions first page: got next %q, error %v; want a cursor, nil", next, err)
	}
	f.checkInterventions("first page", first, ivs[:3])
	f.clock.Advance(past)
	second, next, err := f.store.ListInterventions(f.ctx, "alice", next, 3)
	if err != nil || next != "" {
		f.Fatalf("ListInterventions second page: got next %q, error %v; want \"\", nil", next, err)
	}
	f.checkInterventions("second page", second, ivs[3:])
}

func testListInvalidCursors(f *fixture) {
	for i := range 3 {
		f.putInterventions(f.intervention("alice", time.Duration(i)*time.Minute, ivTTL))
		f.putInterventions(f.intervention("bob", time.Duration(i)*time.Minute, ivTTL))
	}
	_, cursor, err := f.store.ListInterventions(f.ctx, "alice", "", 1)
	if err != nil || len(cursor) < 21 {
		f.Fatalf("ListInterventions: got cursor %q, error %v; want a cursor of more than 20 characters, nil", cursor, err)
	}
	// Truncations are chosen so that no prefix of the cursor still reads
	// as a shorter one: 20 characters hold fewer bytes than any cursor
	// has, and dropping one leaves a length base64 cannot have.
	for _, tt := range []struct{ name, user, cursor string }{
		{"another user's cursor", "bob", cursor},
		{"a cursor of a user whose id differs in case", "Alice", cursor},
		{"percent signs", "alice", "%%%"},
		{"too short", "alice", "AAAA"},
		{"not base64", "alice", "not a cursor"},
		{"truncated", "alice", cursor[:20]},
		{"last character dropped", "alice", cursor[:len(cursor)-1]},
	} {
		f.Run(tt.name, func(t *testing.T) {
			g := f.sub(t)
			page, next, err := g.store.ListInterventions(g.ctx, tt.user, tt.cursor, 10)
			g.wantCode(fmt.Sprintf("ListInterventions(%q, %q)", tt.user, tt.cursor), err, steady.Invalid)
			if len(page) != 0 || next != "" {
				g.Errorf("ListInterventions with a bad cursor: got %d records, next %q; want none, \"\"", len(page), next)
			}
		})
	}
	if got := f.listAll("alice", 2); len(got) != 3 || slices.ContainsFunc(got, func(iv memory.Intervention) bool { return iv.UserID != "alice" }) {
		f.Errorf("alice's list after the bad cursors: got %d records of %v, want 3 of alice", len(got), userIDs(got))
	}
}

func userIDs(ivs []memory.Intervention) []string {
	users := make([]string, len(ivs))
	for i, iv := range ivs {
		users[i] = iv.UserID
	}
	return users
}
