package memory

import (
	"container/heap"
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/observe"
)

// Ranking tunes how similar interventions are ordered. The base order is
// exact cosine similarity; the weights add a preference for recent and for
// well-scored interventions. Both weights are off by default, so the
// default order is pure similarity.
type Ranking struct {
	// RecencyWeight is added times exp(−age/RecencyHalfLife·ln 2): an
	// intervention from today gains the full weight, one a half-life old
	// half of it.
	RecencyWeight   float64
	RecencyHalfLife time.Duration // default 7 days
	// ScoreWeight is added times the intervention's ScoreName score (0 if
	// unscored), so interventions the evaluation layer judged effective
	// rank higher.
	ScoreWeight float64
	ScoreName   string // default "effectiveness"
	// NearDuplicate is the cosine above which two interventions count as
	// the same example; only the better ranked is returned. Default 0.97.
	NearDuplicate float64
}

func (r Ranking) withDefaults() Ranking {
	if r.RecencyHalfLife <= 0 {
		r.RecencyHalfLife = 7 * 24 * time.Hour
	}
	if r.ScoreName == "" {
		r.ScoreName = "effectiveness"
	}
	if r.NearDuplicate == 0 {
		r.NearDuplicate = 0.97
	}
	return r
}

func (r Ranking) validate() error {
	if r.RecencyWeight < 0 || r.ScoreWeight < 0 || r.NearDuplicate <= 0 || r.NearDuplicate > 1 {
		return errors.New("memory: Ranking weights must be ≥ 0 and NearDuplicate in (0, 1]")
	}
	return nil
}

// Query asks for a user's past interventions similar to a situation.
type Query struct {
	Text   string    // what the user said; embedded unless Vector is given
	Vector []float32 // a vector from the service's embedder
	K      int       // how many to return: 1–MaxK; 0 means 3

	// By default only successful interventions (task_completed,
	// re_engaged) are returned: they are the examples worth repeating.
	AllOutcomes bool
	Outcomes    []Outcome // if set, only these outcomes (overrides the default)
	Tool        string
	Category    Category
	MinScore    float64 // minimum ScoreName score; 0 means no minimum
	// MinSimilarity is the least cosine similarity returned, in [-1, 1].
	MinSimilarity float64
	Since         time.Time // only interventions created at or after
	// Duplicates keeps near-duplicates, which are otherwise collapsed to
	// the best ranked: a caller that weighs the evidence of every past
	// attempt (a bandit) must see each one, not one per phrasing.
	Duplicates bool
	// Light returns only what ranking knows — ID, UserID, Tool, Category,
	// Outcome, Scores, CreatedAt, ExpiresAt and the similarity — without
	// reading the records: Context, Text, Task, Args and Embedding are
	// empty. It saves a store round trip and the decoding of every match,
	// for callers that only weigh outcomes.
	Light bool
}

// Match is one search result.
type Match struct {
	Intervention
	Similarity float64 `json:"similarity"` // cosine with the query
	Rank       float64 `json:"rank"`       // similarity plus the ranking weights
}

// Search finds the user's past interventions most similar to q. Ranking is
// exact: every candidate is compared, so recall against brute force is 1.
func (s *Service) Search(ctx context.Context, userID string, q Query) ([]Match, error) {
	return traced(ctx, "memory.search", userID, queryInput(userID, q), summariseMatches,
		func(ctx context.Context) ([]Match, error) { return s.search(ctx, userID, q) },
		observe.Kind("RETRIEVER"))
}

func (s *Service) search(ctx context.Context, userID string, q Query) ([]Match, error) {
	const op = "memory.Search"
	if q.K == 0 {
		q.K = 3
	}
	if err := s.checkQuery(op, userID, q); err != nil {
		return nil, err
	}
	vec, err := s.vectorFor(ctx, op, q.Text, q.Vector, "")
	if err != nil {
		return nil, err
	}
	if embed.Dot(vec, vec) == 0 { // nothing recognisable in the query: nothing is similar
		return []Match{}, nil
	}
	blocks, err := s.candidates(ctx, userID)
	if err != nil {
		return nil, err
	}
	top := s.rank(blocks, vec, q)
	if q.Light {
		return light(userID, top), nil
	}
	return s.load(ctx, userID, top)
}

// candidateBlocks is a Store that can hand over its candidates in the
// blocks it keeps them in (redisstore), sparing every search after a
// write the copy of them all into one slice.
type candidateBlocks interface {
	// CandidateBlocks returns what Candidates does, split in blocks, on
	// the same terms: shared and read-only.
	CandidateBlocks(ctx context.Context, userID string) ([][]Candidate, error)
}

func (s *Service) candidates(ctx context.Context, userID string) ([][]Candidate, error) {
	if st, ok := s.store.(candidateBlocks); ok {
		return st.CandidateBlocks(ctx, userID)
	}
	cands, err := s.store.Candidates(ctx, userID)
	return [][]Candidate{cands}, err
}

func light(userID string, top []scored) []Match {
	out := make([]Match, len(top))
	for i, t := range top {
		c := t.c
		out[i] = Match{Intervention: Intervention{ID: c.ID, UserID: userID, Tool: c.Tool, Category: c.Category,
			Outcome: c.Outcome, Scores: cloneScores(c.Scores), CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt,
			Embedder: c.Embedder}, Similarity: t.sim, Rank: t.rank}
	}
	return out
}

func (s *Service) checkQuery(op, userID string, q Query) error {
	errs := []error{checkID(op, "user id", userID)}
	if q.K < 1 || q.K > MaxK {
		errs = append(errs, invalid(op, "k %d: want 1–%d", q.K, MaxK))
	}
	if q.Vector == nil {
		errs = append(errs, checkText(op, "query", q.Text, MaxContextBytes, true))
	}
	for _, o := range q.Outcomes {
		errs = append(errs, checkOutcome(op, o))
	}
	if q.Category != "" {
		errs = append(errs, checkCategory(op, q.Category))
	}
	if q.MinSimilarity < -1 || q.MinSimilarity > 1 || math.IsNaN(q.MinSimilarity) {
		errs = append(errs, invalid(op, "minimum similarity %v: want -1 to 1", q.MinSimilarity))
	}
	if math.IsNaN(q.MinScore) || math.IsInf(q.MinScore, 0) {
		errs = append(errs, invalid(op, "minimum score %v: want a finite number", q.MinScore))
	}
	return errors.Join(errs...)
}

// scored is a candidate with its similarity and rank.
type scored struct {
	c    *Candidate
	sim  float64
	rank float64
}

// rank returns up to q.K candidates, best first, no two near-duplicates
// unless q.Duplicates. Heapifying the admitted candidates is O(n) and only
// the few popped pay log n; a bounded top-k scan was measured slower,
// because people repeat themselves and near-duplicates then fill any small
// top-k. With duplicates kept that cannot happen, and topK is used.
func (s *Service) rank(blocks [][]Candidate, vec []float32, q Query) []scored {
	if q.Duplicates {
		return s.topK(blocks, vec, q)
	}
	scratch := scratchPool.Get().(*[]scored)
	h := maxRank(*scratch)
	s.scan(blocks, vec, q, func(x scored) { h = append(h, x) })
	heap.Init(&h)
	var out []scored
	for h.Len() > 0 && len(out) < q.K {
		if x := heap.Pop(&h).(scored); !s.nearDuplicate(x, out) {
			out = append(out, x)
		}
	}
	all := h[:cap(h)]
	clear(all) // holds no candidate alive while pooled
	*scratch = all[:0]
	scratchPool.Put(scratch)
	return out
}

// scratchPool recycles rank's heap of admitted candidates, which is garbage
// once the few best are popped: 24 bytes a candidate, every search.
var scratchPool = sync.Pool{New: func() any { return new([]scored) }}

// topK keeps the best q.K admitted candidates in a min-heap whose root is
// the one a newcomer must beat: most are turned away by one comparison.
func (s *Service) topK(blocks [][]Candidate, vec []float32, q Query) []scored {
	h := make(minRank, 0, q.K)
	s.scan(blocks, vec, q, func(x scored) {
		switch {
		case len(h) < q.K:
			heap.Push(&h, x)
		case better(x, h[0]):
			h[0] = x
			heap.Fix(&h, 0)
		}
	})
	out := make([]scored, len(h))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(scored)
	}
	return out
}

// scan calls keep with every candidate that passes q's filters, scored.
func (s *Service) scan(blocks [][]Candidate, vec []float32, q Query, keep func(scored)) {
	f := filter{Service: s, q: q, now: s.now(), embedder: s.embedder.Name(), dims: s.embedder.Dimensions()}
	for _, cands := range blocks {
		for i := range cands {
			c := &cands[i]
			if !f.admits(c) {
				continue
			}
			if sim := float64(embed.Dot(vec, c.Vector)); sim >= q.MinSimilarity {
				keep(scored{c, sim, sim + s.bonus(c, f.now)})
			}
		}
	}
}

// filter is one search's filters, with what they compare against looked
// up once.
type filter struct {
	*Service
	q        Query
	now      time.Time
	embedder string
	dims     int
}

func (f *filter) admits(c *Candidate) bool {
	switch {
	case !f.sameEmbedder(c.Embedder) || len(c.Vector) != f.dims:
		return false
	case !f.now.Before(c.ExpiresAt):
		return false
	case f.q.Tool != "" && c.Tool != f.q.Tool, f.q.Category != "" && c.Category != f.q.Category:
		return false
	case !f.q.Since.IsZero() && c.CreatedAt.Before(f.q.Since):
		return false
	case f.q.MinScore != 0 && c.Scores[f.ranking.ScoreName] < f.q.MinScore:
		return false
	}
	return f.outcomeWanted(c.Outcome, f.q)
}

// sameEmbedder reports whether name is the embedder's. Once it is, f takes
// name's copy of the bytes: a store that shares one copy among its
// candidates (redisstore) then has the rest compared by address, without
// reading the name on every candidate.
func (f *filter) sameEmbedder(name string) bool {
	if name != f.embedder {
		return false
	}
	f.embedder = name
	return true
}

func (s *Service) outcomeWanted(o Outcome, q Query) bool {
	if len(q.Outcomes) > 0 {
		for _, w := range q.Outcomes {
			if o == w {
				return true
			}
		}
		return false
	}
	return q.AllOutcomes || o.Successful()
}

func (s *Service) bonus(c *Candidate, now time.Time) float64 {
	var b float64
	if w := s.ranking.RecencyWeight; w > 0 {
		age := now.Sub(c.CreatedAt).Hours() / s.ranking.RecencyHalfLife.Hours()
		b += w * math.Exp2(-math.Max(age, 0))
	}
	if w := s.ranking.ScoreWeight; w > 0 {
		b += w * c.Scores[s.ranking.ScoreName]
	}
	return b
}

func (s *Service) nearDuplicate(x scored, chosen []scored) bool {
	for _, y := range chosen {
		if float64(embed.Dot(x.c.Vector, y.c.Vector)) > s.ranking.NearDuplicate {
			return true
		}
	}
	return false
}

// load fetches the full records of the ranked candidates.
func (s *Service) load(ctx context.Context, userID string, top []scored) ([]Match, error) {
	if len(top) == 0 {
		return []Match{}, nil
	}
	ids := make([]string, len(top))
	for i, t := range top {
		ids[i] = t.c.ID
	}
	ivs, err := s.store.GetInterventions(ctx, userID, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Intervention, len(ivs))
	for _, iv := range ivs {
		byID[iv.ID] = iv
	}
	out := make([]Match, 0, len(top))
	for _, t := range top {
		if iv, ok := byID[t.c.ID]; ok { // gone if it expired in between
			out = append(out, Match{Intervention: iv, Similarity: t.sim, Rank: t.rank})
		}
	}
	return out, nil
}

// better orders by rank, ties to the newer intervention (UUIDv7 ids sort
// by creation time).
func better(x, y scored) bool {
	if x.rank != y.rank {
		return x.rank > y.rank
	}
	return x.c.ID > y.c.ID
}

// maxRank is a max-heap by rank.
type maxRank []scored

func (h maxRank) Len() int           { return len(h) }
func (h maxRank) Less(i, j int) bool { return better(h[i], h[j]) }
func (h maxRank) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *maxRank) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *maxRank) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// minRank is a min-heap by rank: its root is the worst it holds.
type minRank []scored

func (h minRank) Len() int           { return len(h) }
func (h minRank) Less(i, j int) bool { return better(h[j], h[i]) }
func (h minRank) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minRank) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *minRank) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
