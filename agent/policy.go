package agent

import (
	"math"
	"math/rand/v2"

	"github.com/steady-voice/steady/memory"
)

// The offline policy chooses among the tools that fit a situation with a
// contextual bandit: each tool's chance of helping this user is a Beta
// posterior, updated by the user's judged past interventions of that tool
// in situations similar enough to this one. A person's response to a tool
// carries across situations (breathing that irritates them when anxious
// rarely calms them when tired), so every similar enough attempt counts
// in full.
//
// The first tool for a situation is the one most likely to help (the
// posterior mean): someone who is struggling should get the best-known
// option, not an experiment. When they say it did not help, the next try
// is drawn by Thompson sampling among the others — where trying a
// less-known tool costs least, and which is how the bandit learns.

// ScoreName is the score the agent writes onto interventions and the
// policy learns from.
const ScoreName = "effectiveness"

// successScore is the score from which an intervention counts as having
// helped (the effectiveness scorer's threshold).
const successScore = 0.7

// Prior pseudo-counts: a tool nobody has tried with this user starts at a
// mean of 0.5, and the textbook tool of a situation at 2/3, so a new user
// gets the usual choice first, and one or two failures of it bring the
// alternatives forward.
const (
	priorAlpha    = 1.0
	priorBeta     = 1.0
	textbookBonus = 1.0
)

// minEvidence is the least similarity for a past intervention to count as
// evidence about this situation.
const minEvidence = 0.3

// Policy chooses the tool for a situation. The default is the bandit
// below; experiments substitute others (an oracle, random choice) to
// measure it against them on the same users.
type Policy interface {
	Choose(c Choice) string
}

// Choice is what a policy decides on.
type Choice struct {
	UserID    string
	Situation string         // as the offline engine recognised it
	Fits      []string       // the tools that fit, the textbook one first; never empty
	Evidence  []memory.Match // the user's past interventions in similar situations (Light matches)
	// Retry is set when the user said the previous tool did not help
	// (Fits no longer holds it): the time to explore.
	Retry bool
	Rand  *rand.Rand // the session's seeded random stream
}

// Bandit is the default policy: the best-known tool first, Thompson
// sampling on a retry, over the user's judged interventions in similar
// situations.
type Bandit struct{}

// Choose implements Policy.
func (Bandit) Choose(c Choice) string {
	arms := posteriors(c.Fits, c.Evidence)
	if c.Retry {
		return thompson(c.Rand, arms)
	}
	return bestMean(arms)
}

type arm struct {
	tool        string
	alpha, beta float64
}

// posteriors are the Beta posteriors of the tools in fits (the textbook
// tool first), given the user's past interventions in similar situations.
func posteriors(fits []string, evidence []memory.Match) []arm {
	arms := make([]arm, len(fits))
	for i, t := range fits {
		arms[i] = arm{tool: t, alpha: priorAlpha, beta: priorBeta}
		if i == 0 {
			arms[i].alpha += textbookBonus
		}
	}
	for _, m := range evidence {
		reward, ok := judged(m.Intervention)
		if !ok || m.Similarity < minEvidence {
			continue
		}
		for i := range arms {
			if arms[i].tool == m.Tool {
				arms[i].alpha += reward
				arms[i].beta += 1 - reward
			}
		}
	}
	return arms
}

// bestMean is the tool with the highest posterior mean; on a tie, the
// earlier in fits (the textbook tool first).
func bestMean(arms []arm) string {
	best, bestMean := "", math.Inf(-1)
	for _, a := range arms {
		if m := a.alpha / (a.alpha + a.beta); m > bestMean {
			best, bestMean = a.tool, m
		}
	}
	return best
}

// thompson draws once from every posterior and returns the best draw.
func thompson(rng *rand.Rand, arms []arm) string {
	best, bestDraw := "", math.Inf(-1)
	for _, a := range arms {
		if d := betaSample(rng, a.alpha, a.beta); d > bestDraw {
			best, bestDraw = a.tool, d
		}
	}
	return best
}

// judged turns an intervention into a reward once the evaluation layer has
// scored it; unjudged interventions are no evidence either way.
func judged(iv memory.Intervention) (float64, bool) {
	s, ok := iv.Scores[ScoreName]
	if !ok {
		return 0, false
	}
	if s >= successScore {
		return 1, true
	}
	return 0, true
}

// betaSample draws from Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b).
func betaSample(rng *rand.Rand, a, b float64) float64 {
	x, y := gammaSample(rng, a), gammaSample(rng, b)
	if x+y == 0 {
		return 0.5
	}
	return x / (x + y)
}

// gammaSample draws from Gamma(shape, 1) by Marsaglia and Tsang (2000);
// shapes below 1 are boosted by the usual U^(1/shape) step.
func gammaSample(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return gammaSample(rng, shape+1) * math.Pow(rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
