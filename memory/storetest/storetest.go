// Package storetest is the conformance suite that every memory.Store must
// pass. A backend's tests call Run with an Opener that makes a fresh, empty
// store, and the suite checks every sentence of the Store contract against
// it: round trips, ordering and paging, expiry by the injected clock,
// optimistic concurrency of sessions, Forget, Totals, and strict isolation
// of users, including user ids that look like key syntax or SQL.
//
// Time is controlled by the suite: each store gets a clock that starts at
// the real time (truncated to the millisecond) and only moves forward, so
// stores that also expire records natively (Redis) never drop one before the
// suite expects it to be gone. Nothing in the suite sleeps.
package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steady-voice/steady/memory"
)

// Opener opens a fresh, empty store for one test; now is the clock the store
// must use to judge expiry. The opener registers its own cleanup with
// t.Cleanup.
//
// Run calls the opener from parallel subtests, so the stores it returns must
// share no records: Totals is checked exactly.
type Opener func(t *testing.T, now func() time.Time) memory.Store

// test is one subtest of the suite, run on its own store.
type test struct {
	name string
	run  func(f *fixture)
}

// group is a set of related subtests.
type group struct {
	name  string
	tests []test
}

// Run runs the whole suite against the stores open makes.
func Run(t *testing.T, open Opener) {
	groups := []group{
		{"Interventions", interventionTests},
		{"SetOutcome", setOutcomeTests},
		{"ListInterventions", listTests},
		{"Candidates", candidateTests},
		{"Reflections", reflectionTests},
		{"Profiles", profileTests},
		{"Sessions", sessionTests},
		{"Forget", forgetTests},
		{"Totals", totalsTests},
		{"Usage", usageTests},
		{"Ownership", ownershipTests},
		{"Isolation", isolationTests},
		{"Concurrency", concurrencyTests},
		{"Ping", pingTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					tt.run(setup(t, open))
				})
			}
		})
	}
}

// clock is the time every store in the suite judges expiry by. It starts at
// the real time, because Redis also expires keys natively at real time, and
// only moves forward, so a record live by the real clock is never expired
// by the store's clock before the suite expects it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Now().UTC().Truncate(time.Millisecond)}
}

// Now returns the current time of the clock.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *clock) Advance(d time.Duration) {
	if d < 0 {
		panic("storetest: the clock only moves forward")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is what one subtest works with: its own store and clock.
type fixture struct {
	*testing.T
	ctx   context.Context
	store memory.Store
	clock *clock
	seq   *atomic.Uint64 // varies the records a fixture builds
}

func setup(t *testing.T, open Opener) *fixture {
	t.Helper()
	c := newClock()
	s := open(t, c.Now)
	if s == nil {
		t.Fatal("Opener returned a nil store")
	}
	return &fixture{T: t, ctx: t.Context(), store: s, clock: c, seq: new(atomic.Uint64)}
}

// sub returns a fixture for a subtest of f that shares f's store and clock.
func (f *fixture) sub(t *testing.T) *fixture {
	return &fixture{T: t, ctx: t.Context(), store: f.store, clock: f.clock, seq: f.seq}
}

var pingTests = []test{
	{"healthy store answers", func(f *fixture) {
		if err := f.store.Ping(f.ctx); err != nil {
			f.Errorf("Ping: got %v, want nil", err)
		}
	}},
}
