package gctune

import (
	"runtime/debug"
	"testing"
)

func TestApplySetsServingAndRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	before := Describe()
	restore := Apply()
	if got, want := Describe(), "GOGC=400, GOMEMLIMIT=2048 MiB"; got != want {
		t.Errorf("after Apply: %s, want %s", got, want)
	}
	restore()
	if got := Describe(); got != before {
		t.Errorf("after restore: %s, want %s as before", got, before)
	}
}

func TestApplyLeavesWhatTheEnvironmentSets(t *testing.T) {
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	prev := debug.SetGCPercent(150)
	defer debug.SetGCPercent(prev)
	before := Describe()
	restore := Apply()
	defer restore()
	if got := Describe(); got != before {
		t.Errorf("with GOGC and GOMEMLIMIT set: %s, want %s unchanged", got, before)
	}
}
