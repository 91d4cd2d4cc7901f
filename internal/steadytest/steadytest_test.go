package steadytest_test

import (
	"testing"
	"time"

	"github.com/steady-voice/steady/internal/steadytest"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := steadytest.NewClock(t0)
	c.Advance(time.Minute)
	if got := c.Now(); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("after Advance: got %v, want %v", got, t0.Add(time.Minute))
	}
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Errorf("after Set: got %v, want %v", got, t0)
	}
}

func TestGloVeIsShared(t *testing.T) {
	if steadytest.GloVe(t) != steadytest.GloVe(t) {
		t.Error("GloVe loaded twice")
	}
}
