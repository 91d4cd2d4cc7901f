package sqlitestore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/sqlitestore"
)

// TestConcurrentWriters runs 32 writers, whose writes the store commits in
// groups, beside readers that keep filling and evicting the cache, then
// checks that the cache and the file hold exactly what was acknowledged.
func TestConcurrentWriters(t *testing.T) {
	for _, users := range []int{1, 1024} { // cached users: constant eviction, or none
		t.Run(fmt.Sprintf("cache of %d users", users), func(t *testing.T) {
			testConcurrentWriters(t, sqlitestore.Options{CacheUsers: users})
		})
	}
}

func testConcurrentWriters(t *testing.T, opt sqlitestore.Options) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "memory.db")
	s := open(t, path, opt)
	now := time.Now()
	const writers, perWriter = 32, 20
	users := []string{"alice", "bob", "carol"}
	mustNil(t, "PutIntervention", s.PutIntervention(ctx, intervention("alice", "shared", now, time.Hour)))
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for _, u := range users {
		readers.Go(func() { readUntil(t, s, u, stop) })
	}
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range perWriter {
				u := users[(g+i)%len(users)]
				iv := intervention(u, fmt.Sprintf("w%d-%d", g, i), now, time.Hour)
				if err := s.PutIntervention(ctx, iv); err != nil {
					t.Errorf("PutIntervention: got %v, want nil", err)
					return
				}
				if _, err := s.SetOutcome(ctx, u, iv.ID, memory.TaskCompleted, map[string]float64{"w": float64(g)}); err != nil {
					t.Errorf("SetOutcome: got %v, want nil", err)
				}
				// A Conflict in the same group as the writes above must not
				// undo them.
				err := s.PutIntervention(ctx, intervention("alice", "shared", now, time.Hour))
				if !steady.Is(err, steady.Conflict) {
					t.Errorf("PutIntervention of a taken id: got %v, want code %q", err, steady.Conflict)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	checkConsistent(t, s, users, writers*perWriter+1)
	// Every write was acknowledged after its commit: another connection
	// sees them all.
	if got, want := countRows(t, path, "interventions"), writers*perWriter+1; got != want {
		t.Errorf("rows seen by another connection: got %d, want %d", got, want)
	}
}

// readUntil reads the user's candidates until stop is closed, filling the
// cache while writes land.
func readUntil(t *testing.T, s *sqlitestore.Store, user string, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		if _, err := s.Candidates(context.Background(), user); err != nil {
			t.Errorf("Candidates: got %v, want nil", err)
			return
		}
	}
}

// checkConsistent checks that every user's candidates are exactly the
// records listed from SQLite, each once, with its outcome, and that there
// are total of them.
func checkConsistent(t *testing.T, s *sqlitestore.Store, users []string, total int) {
	t.Helper()
	ctx := t.Context()
	n := 0
	for _, u := range users {
		listed, _, err := s.ListInterventions(ctx, u, "", 10000)
		mustNil(t, "ListInterventions", err)
		cands, err := s.Candidates(ctx, u)
		mustNil(t, "Candidates", err)
		want := make([]string, len(listed))
		for i, iv := range listed {
			want[i] = iv.ID
		}
		got := ids(cands)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("Candidates(%s): got %d ids, want the %d listed (%v vs %v)", u, len(got), len(want), got, want)
		}
		for _, c := range cands {
			if c.ID != "shared" && c.Outcome != memory.TaskCompleted {
				t.Errorf("Candidates(%s): %s has outcome %q, want %q", u, c.ID, c.Outcome, memory.TaskCompleted)
			}
		}
		n += len(listed)
	}
	if n != total {
		t.Errorf("records: got %d, want %d", n, total)
	}
}

// TestGroupCommit queues writes behind a busy writer, so that they commit
// in one transaction, and checks that each is answered on its own: a write
// refused, or whose caller gave up, undoes nothing of the others.
func TestGroupCommit(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "memory.db"), sqlitestore.Options{})
	now := time.Now()
	mustNil(t, "PutIntervention", s.PutIntervention(ctx, intervention("alice", "taken", now, time.Hour)))
	gaveUp, cancel := context.WithCancel(ctx)
	writes := []struct {
		name string
		call func() error
		code steady.Code // "" for success
	}{
		{"new intervention", func() error { return s.PutIntervention(ctx, intervention("alice", "new-1", now, time.Hour)) }, ""},
		{"taken id", func() error { return s.PutIntervention(ctx, intervention("alice", "taken", now, time.Hour)) }, steady.Conflict},
		{"outcome of an unknown id", func() error {
			_, err := s.SetOutcome(ctx, "alice", "unknown", memory.TaskCompleted, nil)
			return err
		}, steady.NotFound},
		{"caller gave up", func() error { return s.PutIntervention(gaveUp, intervention("alice", "gave-up", now, time.Hour)) }, steady.Unavailable},
		{"stale session", func() error {
			_, err := s.PutSession(ctx, memory.SessionState{UserID: "alice", SessionID: "s1", Version: 3, ExpiresAt: now.Add(time.Hour)})
			return err
		}, steady.Conflict},
		{"profile", func() error { return s.PutProfile(ctx, memory.Profile{UserID: "alice"}) }, ""},
		{"another new intervention", func() error { return s.PutIntervention(ctx, intervention("alice", "new-2", now, time.Hour)) }, ""},
	}

	release := sqlitestore.HoldWriter(s)
	errs := make([]error, len(writes))
	var wg sync.WaitGroup
	for i, w := range writes {
		wg.Go(func() { errs[i] = w.call() })
	}
	for sqlitestore.Queued(s) < len(writes) {
		runtime.Gosched()
	}
	cancel() // after its write was queued
	before := sqlitestore.Commits(s)
	release()
	wg.Wait()

	if got := sqlitestore.Commits(s) - before; got != 2 {
		t.Errorf("transactions: got %d, want 2 (the held write's, then the group's)", got)
	}
	for i, w := range writes {
		if got := steady.ErrorCode(errs[i]); got != w.code {
			t.Errorf("%s: got %v, want code %q", w.name, errs[i], w.code)
		}
	}
	got, err := s.GetInterventions(ctx, "alice", []string{"new-1", "taken", "gave-up", "new-2"})
	mustNil(t, "GetInterventions", err)
	if ids := ivIDs(got); !slices.Equal(ids, []string{"new-1", "taken", "new-2"}) {
		t.Errorf("interventions after the group: got %v, want [new-1 taken new-2]", ids)
	}
	if _, err := s.GetProfile(ctx, "alice"); err != nil {
		t.Errorf("GetProfile after the group: got %v, want nil", err)
	}
}

func ivIDs(ivs []memory.Intervention) []string {
	out := make([]string, len(ivs))
	for i, iv := range ivs {
		out[i] = iv.ID
	}
	return out
}
