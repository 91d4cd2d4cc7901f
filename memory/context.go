package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/steady-voice/steady/embed"
)

// ContextOptions tunes the context blocks written into the model's prompt.
type ContextOptions struct {
	// BudgetTokens bounds each block, estimated at four characters a token.
	// Whole lines and examples are dropped to fit, never cut. Default 2000.
	BudgetTokens int
	// MinSimilarity is the least cosine similarity of a few-shot example in
	// DynamicContext. Default 0.5.
	MinSimilarity float64
	// MinScore is the least Ranking.ScoreName score of a few-shot example
	// in DynamicContext; 0 means no minimum. An agent that scores its
	// interventions sets it so that only what was judged to help is shown,
	// not what merely started with a hopeful outcome.
	MinScore float64
	// Reflections is how many recent reflections PromptContext shows.
	// Default 3.
	Reflections int
}

func (o ContextOptions) withDefaults() ContextOptions {
	if o.BudgetTokens <= 0 {
		o.BudgetTokens = 2000
	}
	if o.MinSimilarity == 0 {
		o.MinSimilarity = 0.5
	}
	if o.Reflections <= 0 {
		o.Reflections = 3
	}
	return o
}

// NoHistory is the whole PromptContext of a user Steady knows nothing about.
const NoHistory = "New user - no history yet."

// EstimateTokens estimates how many model tokens s takes.
func EstimateTokens(s string) int { return (utf8.RuneCountInString(s) + 3) / 4 }

// PromptContext is the block injected into the prompt at the start of a
// session: guidance adapted to the profile, recent reflections, what has
// worked for this user, and the state of their memory.
func (s *Service) PromptContext(ctx context.Context, userID string) (string, error) {
	return traced(ctx, "memory.prompt_context", userID, map[string]any{"user_id": userID}, same[string],
		func(ctx context.Context) (string, error) { return s.promptContext(ctx, userID) })
}

func (s *Service) promptContext(ctx context.Context, userID string) (string, error) {
	if err := checkID("memory.PromptContext", "user id", userID); err != nil {
		return "", err
	}
	p, err := s.Profile(ctx, userID)
	hasProfile := err == nil
	if err != nil && !isNotFound(err) {
		return "", err
	}
	st, err := s.Stats(ctx, userID)
	if err != nil {
		return "", err
	}
	refl, err := s.store.ListReflections(ctx, userID, s.context.Reflections)
	if err != nil {
		return "", err
	}
	if !hasProfile && st.Interventions == 0 && len(refl) == 0 {
		return NoHistory, nil
	}
	b := newBudget(s.context.BudgetTokens)
	if hasProfile {
		b.section("About this user", profileLines(p))
	}
	b.section("Recent reflections", reflectionLines(refl))
	b.section("What works for this user", whatWorks(st))
	b.section("Memory", []string{fmt.Sprintf("%s (%d successful), %s.",
		plural(st.Interventions, "past intervention"), st.Successful, plural(st.Reflections, "reflection"))})
	return b.String(), nil
}

func profileLines(p Profile) []string {
	var lines []string
	switch p.Diagnosis {
	case DiagnosisADHD:
		lines = append(lines, adhdGuidance)
	case DiagnosisAutism:
		lines = append(lines, autismGuidance)
	case DiagnosisBoth:
		lines = append(lines, adhdGuidance, autismGuidance)
	default:
		lines = append(lines, "No diagnosis shared: use a gentle, general supportive style.")
	}
	if i := p.AdaptationIntensity(); i > 0 {
		lines = append(lines, fmt.Sprintf("Adaptation intensity %.1f (%s, %s).", i, strings.ToLower(string(p.Diagnosis)), strings.ToLower(string(p.DiagnosisSource))))
	}
	lines = append(lines, fmt.Sprintf("Check in about every %d minutes.", p.PreferredCheckinInterval))
	if len(p.SensorySensitivities) > 0 {
		lines = append(lines, "Sensory sensitivities: "+strings.Join(p.SensorySensitivities, ", ")+".")
	}
	keys := make([]string, 0, len(p.Preferences))
	for k := range p.Preferences {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		lines = append(lines, fmt.Sprintf("Preference — %s: %s", k, p.Preferences[k]))
	}
	return lines
}

const (
	adhdGuidance   = "ADHD: keep steps small and concrete (2–5 minutes), check in often, help with time awareness, celebrate small wins."
	autismGuidance = "Autism: be literal, clear and predictable; say what comes next before any change; mind sensory load; avoid idioms."
)

func reflectionLines(refl []Reflection) []string {
	lines := make([]string, 0, len(refl))
	for _, r := range refl {
		lines = append(lines, fmt.Sprintf("- %s (%s)", oneLine(r.Insight, 300), r.CreatedAt.Format("2 Jan")))
	}
	return lines
}

// whatWorks lists the tools that have helped, best success rate first.
func whatWorks(st Stats) []string {
	tools := slices.Clone(st.Tools)
	tools = slices.DeleteFunc(tools, func(t ToolStats) bool { return t.Successes == 0 })
	slices.SortStableFunc(tools, func(a, b ToolStats) int {
		switch ra, rb := a.SuccessRate(), b.SuccessRate(); {
		case ra > rb:
			return -1
		case ra < rb:
			return 1
		}
		return b.Uses - a.Uses
	})
	var lines []string
	for _, t := range tools[:min(len(tools), 5)] {
		line := fmt.Sprintf("- %s helped %d of %d times", toolLabel(t.Tool), t.Successes, t.Uses)
		if t.MeanEffectiveness != nil {
			line += fmt.Sprintf(" (mean effectiveness %.2f)", *t.MeanEffectiveness)
		}
		lines = append(lines, line)
	}
	return lines
}

// DynamicContext returns few-shot examples of the user's past interventions
// that succeeded in situations similar to utterance: up to k (0 means 3),
// each at least MinSimilarity similar, most similar first, within the
// budget. It is "" when there is none.
func (s *Service) DynamicContext(ctx context.Context, userID, utterance string, k int) (string, error) {
	in := map[string]any{"user_id": userID, "utterance": utterance, "k": k}
	return traced(ctx, "memory.dynamic_context", userID, in, same[string],
		func(ctx context.Context) (string, error) { return s.dynamicContext(ctx, userID, utterance, k) })
}

func (s *Service) dynamicContext(ctx context.Context, userID, utterance string, k int) (string, error) {
	matches, err := s.Search(ctx, userID, Query{Text: utterance, K: k,
		MinSimilarity: s.context.MinSimilarity, MinScore: s.context.MinScore})
	if err != nil {
		return "", err
	}
	return s.formatExamples(matches), nil
}

func (s *Service) formatExamples(matches []Match) string {
	if len(matches) == 0 {
		return ""
	}
	b := newBudget(s.context.BudgetTokens)
	var examples []string
	for i, m := range matches {
		examples = append(examples, example(i+1, m, s.ranking.ScoreName))
	}
	b.section("Similar situations where something helped this user", examples)
	return b.String()
}

// ExamplesContext is DynamicContext built from matches the caller already
// has — e.g. a Light search for all outcomes, which a policy ranks anyway —
// so a turn searches once: the first k (0 means 3) that DynamicContext
// would admit (successful, at least MinScore and MinSimilarity), their
// records read in one round trip, near-duplicates left out.
func (s *Service) ExamplesContext(ctx context.Context, userID string, matches []Match, k int) (string, error) {
	in := map[string]any{"user_id": userID, "matches": len(matches), "k": k}
	return traced(ctx, "memory.examples_context", userID, in, same[string],
		func(ctx context.Context) (string, error) { return s.examplesContext(ctx, userID, matches, k) })
}

func (s *Service) examplesContext(ctx context.Context, userID string, matches []Match, k int) (string, error) {
	if err := checkID("memory.ExamplesContext", "user id", userID); err != nil {
		return "", err
	}
	if k <= 0 {
		k = 3
	}
	var ids []string
	sim := map[string]Match{}
	for _, m := range matches {
		if m.Outcome.Successful() && m.Similarity >= s.context.MinSimilarity &&
			(s.context.MinScore == 0 || m.Scores[s.ranking.ScoreName] >= s.context.MinScore) && len(ids) < 3*k {
			ids = append(ids, m.ID)
			sim[m.ID] = m
		}
	}
	if len(ids) == 0 {
		return "", nil
	}
	ivs, err := s.store.GetInterventions(ctx, userID, ids)
	if err != nil {
		return "", err
	}
	var chosen []Match
	for _, iv := range ivs {
		if len(chosen) < k && !s.duplicateOf(iv, chosen) {
			m := sim[iv.ID]
			chosen = append(chosen, Match{Intervention: iv, Similarity: m.Similarity, Rank: m.Rank})
		}
	}
	return s.formatExamples(chosen), nil
}

func (s *Service) duplicateOf(iv Intervention, chosen []Match) bool {
	for _, c := range chosen {
		if len(c.Embedding) == len(iv.Embedding) && float64(embed.Dot(c.Embedding, iv.Embedding)) > s.ranking.NearDuplicate {
			return true
		}
	}
	return false
}

func example(n int, m Match, scoreName string) string {
	did := toolLabel(m.Tool)
	if m.Text != "" {
		did += ` — "` + oneLine(m.Text, 240) + `"`
	}
	result := string(m.Outcome)
	if v, ok := m.Scores[scoreName]; ok {
		result += fmt.Sprintf(" (%s %.2f)", scoreName, v)
	}
	return fmt.Sprintf("%d. User said: %q\n   Agent did: %s\n   Result: %s", n, oneLine(m.Context, 240), did, result)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func toolLabel(tool string) string { return strings.ReplaceAll(tool, "_", " ") }

// oneLine folds s onto one line of at most n characters.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// budget assembles sections of whole items until the token budget is spent.
type budget struct {
	left int
	b    strings.Builder
}

func newBudget(tokens int) *budget { return &budget{left: tokens} }

// section writes a heading and as many items as fit; nothing if none fits.
func (b *budget) section(title string, items []string) {
	head := "## " + title + "\n"
	cost := EstimateTokens(head)
	if len(items) == 0 || b.left < cost+EstimateTokens(items[0]+"\n") {
		return
	}
	if b.b.Len() > 0 {
		b.b.WriteString("\n")
	}
	b.b.WriteString(head)
	b.left -= cost
	for _, it := range items {
		c := EstimateTokens(it + "\n")
		if c > b.left {
			return
		}
		b.b.WriteString(it + "\n")
		b.left -= c
	}
}

func (b *budget) String() string { return strings.TrimRight(b.b.String(), "\n") }
