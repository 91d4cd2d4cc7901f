package sim

import (
	"sync"

	"github.com/steady-voice/steady/agent"
)

// Policy names, in the order results list them.
const (
	PolicyMemory   = "memory"
	PolicyNoMemory = "no-memory"
	PolicyOracle   = "oracle"
	PolicyRandom   = "random"
)

// Policies returns the policies every run compares.
func Policies() []string {
	return []string{PolicyMemory, PolicyNoMemory, PolicyOracle, PolicyRandom}
}

// truth is what the oracle knows and the agent does not: each user's
// persona and the situation they are really in (the agent sees only what
// it recognised from their words).
type truth struct {
	mu  sync.Mutex
	now map[string]current // user id → now
}

type current struct {
	persona   *Persona
	situation string
}

func (t *truth) set(userID string, p *Persona, situation string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.now == nil {
		t.now = map[string]current{}
	}
	t.now[userID] = current{p, situation}
}

func (t *truth) get(userID string) current {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.now[userID]
}

// oracle picks, among the tools the engine offers, the one most likely to
// help this person in the situation they are really in: the ceiling any
// policy choosing among those tools can reach.
type oracle struct{ truth *truth }

func (o oracle) Choose(c agent.Choice) string {
	now := o.truth.get(c.UserID)
	if now.persona == nil {
		return c.Fits[0]
	}
	return now.persona.Best(now.situation, c.Fits)
}

// random picks uniformly among the fitting tools: the floor.
type random struct{}

func (random) Choose(c agent.Choice) string { return c.Fits[c.Rand.IntN(len(c.Fits))] }

// policyFor returns the agent's policy for a policy name, and whether the
// agent runs without retrieval. The oracle and random choice never read
// memory, so they skip the search; what they do is still recorded.
func policyFor(name string, t *truth) (agent.Policy, bool) {
	switch name {
	case PolicyNoMemory:
		return agent.Bandit{}, true
	case PolicyOracle:
		return oracle{t}, true
	case PolicyRandom:
		return random{}, true
	}
	return agent.Bandit{}, false
}
