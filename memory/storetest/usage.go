package storetest

import (
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/steady-voice/steady/memory"
)

var usageTests = []test{
	{"of an empty store", testUsageEmpty},
	{"tallies tools and days across users, live records only", testUsage},
}

const day = 24 * time.Hour

func testUsageEmpty(f *fixture) {
	got := f.totals()
	if got.Tools == nil || len(got.Tools) != 0 {
		f.Errorf("Totals of an empty store: got Tools %#v, want empty, not nil", got.Tools)
	}
	want, _ := memory.GrowthDaysUntil(f.clock.Now())
	if !reflect.DeepEqual(got.Daily, want) {
		f.Errorf("Totals of an empty store: got Daily %+v, want %+v", got.Daily, want)
	}
}

// use is one intervention of the usage scenario.
type use struct {
	user, tool string
	outcome    memory.Outcome
	scores     map[string]float64
	age, ttl   time.Duration
}

func testUsage(f *fixture) {
	eff := func(v float64) map[string]float64 { return map[string]float64{memory.Effectiveness: v, "other": 0.1} }
	uses := []use{
		{"alice", "breathing", memory.TaskCompleted, eff(0.9), 0, ivTTL},
		{"alice", "breathing", memory.Abandoned, eff(0.3), day, ivTTL},
		{"alice", "breathing", memory.ReEngaged, nil, 3 * day, ivTTL},
		{"alice", "micro_steps", memory.Pending, nil, 29 * day, ivTTL},
		{"alice", "grounding", memory.TaskCompleted, eff(1), 2 * day, ivTTL},
		{"alice", "body_double", memory.Pending, nil, time.Hour, ivTTL},
		{"bob", "micro_steps", memory.ReEngaged, eff(0.5), 30 * day, ivTTL}, // live, before the window
		{"bob", "micro_steps", memory.TaskCompleted, eff(0.7), 0, ivTTL},
		{"bob", "grounding", memory.Distracted, map[string]float64{"other": 0.2}, 2 * day, ivTTL},
		{"bob", "breathing", memory.TaskCompleted, eff(0), day, time.Minute},   // expires
		{"bob", "zen_timer", memory.ReEngaged, eff(0.2), 5 * day, time.Minute}, // expires
	}
	live := f.putUses(uses)
	f.clock.Advance(2 * time.Minute)

	got := f.totals()
	mean := func(v float64) *float64 { return &v }
	want := []memory.ToolTotals{
		{Tool: "breathing", Uses: 3, Successes: 2, Scored: 2, MeanEffectiveness: mean(0.6)},
		{Tool: "micro_steps", Uses: 3, Successes: 2, Scored: 2, MeanEffectiveness: mean(0.6)},
		{Tool: "grounding", Uses: 2, Successes: 1, Scored: 1, MeanEffectiveness: mean(1)},
		{Tool: "body_double", Uses: 1},
	}
	f.checkTools(got.Tools, want)
	if wantDaily := expectedDaily(f.clock.Now(), live); !reflect.DeepEqual(got.Daily, wantDaily) {
		f.Errorf("Totals.Daily: got %+v, want %+v", got.Daily, wantDaily)
	}
	if got.Interventions != len(live) || got.Users != 2 {
		f.Errorf("Totals: got %d interventions of %d users, want %d of 2", got.Interventions, got.Users, len(live))
	}
}

// putUses stores uses and returns the ones that stay live.
func (f *fixture) putUses(uses []use) []memory.Intervention {
	f.Helper()
	var live []memory.Intervention
	for _, u := range uses {
		iv := f.intervention(u.user, u.age, u.ttl)
		iv.Tool, iv.Outcome, iv.Scores = u.tool, u.outcome, u.scores
		f.putInterventions(iv)
		if u.ttl == ivTTL {
			live = append(live, iv)
		}
	}
	return live
}

// expectedDaily counts ivs by the day they were created, as Totals.Daily
// must when the clock reads now: the day boundaries depend on it.
func expectedDaily(now time.Time, ivs []memory.Intervention) []memory.DayCount {
	days, start := memory.GrowthDaysUntil(now)
	for _, iv := range ivs {
		if d := iv.CreatedAt.Sub(start); d >= 0 && d < time.Duration(len(days))*day {
			days[d/day].Count++
		}
	}
	return days
}

func (f *fixture) checkTools(got, want []memory.ToolTotals) {
	f.Helper()
	if len(got) != len(want) {
		f.Fatalf("Totals.Tools: got %s, want %s", toolsString(got), toolsString(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		gm, wm := g.MeanEffectiveness, w.MeanEffectiveness
		g.MeanEffectiveness, w.MeanEffectiveness = nil, nil
		sameMean := (gm == nil) == (wm == nil) && (gm == nil || math.Abs(*gm-*wm) < 1e-9)
		if g != w || !sameMean {
			f.Errorf("Totals.Tools[%d]: got %s, want %s", i, toolsString(got[i:i+1]), toolsString(want[i:i+1]))
		}
	}
}

func toolsString(tools []memory.ToolTotals) string {
	s := "["
	for _, t := range tools {
		mean := "nil"
		if t.MeanEffectiveness != nil {
			mean = fmt.Sprintf("%.4g", *t.MeanEffectiveness)
		}
		s += fmt.Sprintf(" {%s uses %d successes %d scored %d mean %s}", t.Tool, t.Uses, t.Successes, t.Scored, mean)
	}
	return s + " ]"
}
