package memory

import (
	"context"
	"slices"
	"strings"
)

// ToolStats is how one tool has done for a user.
type ToolStats struct {
	Tool      string `json:"tool"`
	Uses      int    `json:"uses"`
	Successes int    `json:"successes"`
	// MeanEffectiveness is the mean "effectiveness" score over the uses
	// that have one; nil when none has been scored.
	MeanEffectiveness *float64 `json:"mean_effectiveness,omitempty"`
	scored            int
	sum               float64
}

// SuccessRate is Successes / Uses.
func (t ToolStats) SuccessRate() float64 {
	if t.Uses == 0 {
		return 0
	}
	return float64(t.Successes) / float64(t.Uses)
}

// Stats summarises a user's memory.
type Stats struct {
	UserID        string      `json:"user_id"`
	Interventions int         `json:"interventions"`
	Successful    int         `json:"successful"`
	Reflections   int         `json:"reflections"`
	Tools         []ToolStats `json:"tools"` // most used first
}

// Stats counts the user's live interventions and reflections, and how each
// tool has done.
func (s *Service) Stats(ctx context.Context, userID string) (Stats, error) {
	if err := checkID("memory.Stats", "user id", userID); err != nil {
		return Stats{}, err
	}
	blocks, err := s.candidates(ctx, userID) // in blocks: no copy of them all
	if err != nil {
		return Stats{}, err
	}
	refl, err := s.store.ListReflections(ctx, userID, 0)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{UserID: userID, Reflections: len(refl), Tools: []ToolStats{}}
	now := s.now()
	byTool := map[string]*ToolStats{}
	for _, cands := range blocks {
		for i := range cands {
			c := &cands[i]
			if !now.Before(c.ExpiresAt) {
				continue
			}
			st.Interventions++
			t := byTool[c.Tool]
			if t == nil {
				t = &ToolStats{Tool: c.Tool}
				byTool[c.Tool] = t
			}
			t.add(c, s.ranking.ScoreName)
			if c.Outcome.Successful() {
				st.Successful++
			}
		}
	}
	for _, t := range byTool {
		st.Tools = append(st.Tools, t.done())
	}
	slices.SortFunc(st.Tools, func(a, b ToolStats) int {
		if a.Uses != b.Uses {
			return b.Uses - a.Uses
		}
		return strings.Compare(a.Tool, b.Tool)
	})
	return st, nil
}

func (t *ToolStats) add(c *Candidate, scoreName string) {
	t.Uses++
	if c.Outcome.Successful() {
		t.Successes++
	}
	if v, ok := c.Scores[scoreName]; ok {
		t.scored++
		t.sum += v
	}
}

func (t *ToolStats) done() ToolStats {
	if t.scored > 0 {
		m := t.sum / float64(t.scored)
		t.MeanEffectiveness = &m
	}
	return *t
}
