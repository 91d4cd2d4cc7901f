// Package steadytest holds what many packages' tests share: a settable
// clock for the injected Now functions, and the embedded GloVe embedder,
// loaded once per test binary.
package steadytest

import (
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady/embed"
)

// Clock is a settable time source, safe for concurrent use. Its Now is what
// stores, services and the agent take as their clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var (
	gloveOnce sync.Once
	glove     embed.Embedder
	gloveErr  error
)

// GloVe returns the embedded GloVe-SIF embedder, parsed once per binary
// (5 ms each time otherwise).
func GloVe(tb testing.TB) embed.Embedder {
	tb.Helper()
	gloveOnce.Do(func() { glove, gloveErr = embed.NewGloVe() })
	if gloveErr != nil {
		tb.Fatal(gloveErr)
	}
	return glove
}
