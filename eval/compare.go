package eval

// Comparison tells two runs apart, scorer by scorer. Deltas are B − A, so a
// positive delta means B did better on a metric where more is better.
type Comparison struct {
	A       string             `json:"a"` // run ids
	B       string             `json:"b"`
	Scorers []ScorerComparison `json:"scorers"`
}

// ScorerComparison compares one scorer present in both runs.
type ScorerComparison struct {
	Scorer string `json:"scorer"`
	// Metrics lists every summary figure both runs have, by dotted path
	// ("score.mean", "successful.true_fraction"), sorted by path.
	Metrics []MetricDelta `json:"metrics"`
	// Rows is the number of examples (same id) both runs scored; on them,
	// Wins counts rows where B's ScoreKey was higher, Losses lower, Ties
	// equal.
	Rows   int `json:"rows"`
	Wins   int `json:"wins"`
	Losses int `json:"losses"`
	Ties   int `json:"ties"`
}

// MetricDelta is one summary figure in both runs.
type MetricDelta struct {
	Path  string  `json:"path"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
	Delta float64 `json:"delta"`
}

// Compare compares run b against run a for every scorer both ran; scorers
// only one run has are left out. Per-row wins need example ids that appear
// in both runs and a numeric ScoreKey in both results.
func Compare(a, b *Run) Comparison {
	c := Comparison{A: a.ID, B: b.ID}
	for _, name := range sortedKeys(a.Summary.Scorers) {
		sb, ok := b.Summary.Scorers[name]
		if !ok {
			continue
		}
		sc := ScorerComparison{Scorer: name, Metrics: metricDeltas(a.Summary.Scorers[name], sb)}
		countWins(&sc, scoresByID(a, name), scoresByID(b, name))
		c.Scorers = append(c.Scorers, sc)
	}
	return c
}

func metricDeltas(sa, sb Result) []MetricDelta {
	fa, fb := sa.Flatten(), sb.Flatten() // a summary holds numbers only
	var out []MetricDelta
	for _, path := range sortedKeys(fa) {
		if vb, ok := fb[path]; ok {
			out = append(out, MetricDelta{Path: path, A: fa[path], B: vb, Delta: vb - fa[path]})
		}
	}
	return out
}

// scoresByID maps example id to the scorer's main score in run r.
func scoresByID(r *Run, scorer string) map[string]float64 {
	m := map[string]float64{}
	for _, row := range r.Rows {
		if f, ok := number(row.Scores[scorer][ScoreKey]); ok && row.Example.ID != "" {
			m[row.Example.ID] = f
		}
	}
	return m
}

func countWins(sc *ScorerComparison, a, b map[string]float64) {
	for id, va := range a {
		vb, ok := b[id]
		if !ok {
			continue
		}
		sc.Rows++
		switch {
		case vb > va:
			sc.Wins++
		case vb < va:
			sc.Losses++
		default:
			sc.Ties++
		}
	}
}
