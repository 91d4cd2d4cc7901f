package agent

import (
	"math"
	"math/rand/v2"

	"github.com/steady-voice/steady/memory"
)

// The offline policy chooses among the tools that fit a situation with a
// contextual bandit: each tool's chance of helping this user in this kind
// of situation is a Beta posterior, updated by the user's past
// interventions of that tool, each weighted by how similar its situation was
// to this one. Thompson sampling — drawing once from every posterior and
// taking the best draw — tries the less-known tools just often enough and
// settles on what works for this person.

// ScoreName is the score the agent writes onto interventions and the
// policy learns from.
const ScoreName = "effectiveness"

// successScore is the score from which an intervention counts as having
// helped (the effectiveness scorer's threshold).
const successScore = 0.7

// Prior pseudo-counts: a tool nobody has tried with this user starts at a
// mean of 0.5, and the textbook tool of a situation at 0.75, so a new user
// mostly gets the usual choice; two or three failures of it are enough for
// the alternatives to be tried.
const (
	priorAlpha    = 1.0
	priorBeta     = 1.0
	textbookBonus = 2.0
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
	Rand      *rand.Rand     // the session's seeded random stream
}

// Bandit is the default policy: Thompson sampling over the user's judged
// interventions in similar situations.
type Bandit struct{}

// Choose implements Policy.
func (Bandit) Choose(c Choice) string { return choose(c.Rand, c.Fits, c.Evidence) }

type arm struct {
	tool        string
	alpha, beta float64
}

// choose returns the tool to use among fits (the textbook tool first),
// given the user's past interventions in similar situations.
func choose(rng *rand.Rand, fits []string, evidence []memory.Match) string {
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
				arms[i].alpha += m.Similarity * reward
				arms[i].beta += m.Similarity * (1 - reward)
			}
		}
	}
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
