package sim

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/steady-voice/steady/agent/data"
)

// The situations a simulated user raises: those where the agent chooses
// among several tools and the choice is about what helps this person.
// (step_done, new_task and time_question also have two fitting tools, but
// there the choice follows from the request, not from the person.)
var situations = []string{"overwhelm", "anxiety", "sensory_overload", "fatigue", "distracted"}

// Situations returns the situations simulated users raise.
func Situations() []string { return slices.Clone(situations) }

// Persona traits are drawn on the logit scale, as the sum of
//
//   - base: how often a fitting tool helps anyone, logit(0.35);
//   - a per-person, per-tool affinity ~ N(0, spread²), spread 1.5 unless
//     the run sets another: breathing calms one person and irritates
//     another, whatever the situation;
//   - per-situation noise ~ N(0, 0.6²): the same person may like
//     grounding when anxious and not when overloaded;
//   - textbookLift for the situation's textbook tool: it is the textbook
//     choice because it helps most people a little more;
//   - misfitPenalty for a tool that does not fit the situation at all.
//
// The values were fixed from these arguments before any policy was run,
// and are not tuned to make any policy look good.
const (
	baseLogit     = -0.619 // logit(0.35)
	DefaultSpread = 1.5
	MaxSpread     = 5.0
	situationSD   = 0.6
	textbookLift  = 0.6
	misfitPenalty = 1.0
	minHelp       = 0.02
	maxHelp       = 0.98
)

// Persona is a simulated user's hidden traits: for each situation, how
// likely each tool is to help.
type Persona struct {
	Index int
	help  map[string]map[string]float64 // situation → tool → probability
}

// personaTools are the tools a persona has traits for: every tool that
// fits one of the situations. Any other tool never helps.
func personaTools() []string {
	var tools []string
	for _, s := range situations {
		for _, t := range data.Fits(s) {
			if !slices.Contains(tools, t) {
				tools = append(tools, t)
			}
		}
	}
	return tools
}

// NewPersonas draws n personas from seed with the default spread; the
// same seed gives the same personas, and persona i does not depend on n.
func NewPersonas(seed uint64, n int) []Persona { return newPersonas(seed, n, DefaultSpread) }

// newPersonas draws n personas whose affinities for a tool have standard
// deviation spread: how much people differ in what helps them.
func newPersonas(seed uint64, n int, spread float64) []Persona {
	ps := make([]Persona, n)
	for i := range ps {
		ps[i] = newPersona(seed, i, spread)
	}
	return ps
}

func newPersona(seed uint64, i int, spread float64) Persona {
	rng := stream(seed, purposePersona, uint64(i))
	tools := personaTools()
	affinity := make(map[string]float64, len(tools))
	for _, t := range tools {
		affinity[t] = spread * rng.NormFloat64()
	}
	p := Persona{Index: i, help: map[string]map[string]float64{}}
	for _, s := range situations {
		p.help[s] = map[string]float64{}
		fits := data.Fits(s)
		for _, t := range tools {
			x := baseLogit + affinity[t] + situationSD*rng.NormFloat64()
			switch {
			case t == fits[0]:
				x += textbookLift
			case !slices.Contains(fits, t):
				x -= misfitPenalty
			}
			p.help[s][t] = min(max(1/(1+math.Exp(-x)), minHelp), maxHelp)
		}
	}
	return p
}

// Help is the probability that tool helps this person in situation; a
// tool the persona has no trait for (or no tool, "") never helps.
func (p Persona) Help(situation, tool string) float64 { return p.help[situation][tool] }

// Best is the tool among candidates most likely to help in situation, the
// first of them on a tie; "" when candidates is empty.
func (p Persona) Best(situation string, candidates []string) string {
	best := ""
	for _, t := range candidates {
		if best == "" || p.Help(situation, t) > p.Help(situation, best) {
			best = t
		}
	}
	return best
}

// TextbookWrong reports whether, in situation, another tool the engine
// offers is more likely to help this person than the textbook one.
func (p Persona) TextbookWrong(situation string) bool {
	fits := tools(situation)
	return p.Best(situation, fits) != fits[0]
}

// draw purposes keep the random streams of different uses apart.
const (
	purposePersona uint64 = iota + 1
	purposeSession
)

// stream is the random stream for one purpose and key: the same (seed,
// purpose, keys) always give the same numbers, whichever policy or
// goroutine asks.
func stream(seed, purpose uint64, keys ...uint64) *rand.Rand {
	h := purpose*0x9e3779b97f4a7c15 + 1
	for _, k := range keys {
		h = splitmix(h ^ k)
	}
	return rand.New(rand.NewPCG(seed, h))
}

// splitmix is SplitMix64's finaliser: a cheap, well-mixed hash of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// tools are the tools the engine offers in situation when the session has
// no task: stepping through a task (get_current_step) needs one.
func tools(situation string) []string {
	var out []string
	for _, t := range data.Fits(situation) {
		if t != "get_current_step" {
			out = append(out, t)
		}
	}
	return out
}
