package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/agent/data"
	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/memory"
)

// MemoryConfig is the memory section on one backend.
type MemoryConfig struct {
	Backend  Backend
	Embedder embed.Embedder
	Plan     Plan // Sizes, Queries, Writers
	Progress Progress
}

// MemoryResult is one backend's figures at each size.
type MemoryResult struct {
	Backend string       `json:"backend"`
	Writers int          `json:"writers"`
	Sizes   []SizeResult `json:"sizes"`
}

// SizeResult is one user's memory at one size.
type SizeResult struct {
	Interventions int `json:"interventions"`
	// RecordsPerS is Service.Record's throughput (vector given, Writers
	// concurrent callers) while the user grew from the previous size.
	RecordsPerS float64 `json:"records_per_s"`
	// FindSimilar is Service.Search, k = 3: embed the query, exact cosine
	// over every candidate, rank, drop near-duplicates, load the three.
	FindSimilar Latency `json:"find_similar"`
	// Context is what a turn pays for memory: PromptContext plus
	// DynamicContext for what the user said.
	Context Latency `json:"context"`
}

// Memory fills one user's memory size by size, timing the writes, and at
// each size times find-similar and context generation. The user is
// forgotten afterwards.
func Memory(ctx context.Context, cfg MemoryConfig) (res MemoryResult, err error) {
	p := cfg.Plan
	res = MemoryResult{Backend: cfg.Backend.Name, Writers: p.Writers}
	if err := p.check(); err != nil {
		return res, err
	}
	svc, err := memory.New(memory.Config{Store: cfg.Backend.Store, Embedder: cfg.Embedder})
	if err != nil {
		return res, err
	}
	f, err := newFiller(ctx, cfg.Embedder, newUser("memory"))
	if err != nil {
		return res, err
	}
	defer forget(ctx, svc, f.user, &err)
	total := p.Sizes[len(p.Sizes)-1] + 2*p.Queries*len(p.Sizes)
	m := newMeter(cfg.Progress, "memory on "+cfg.Backend.Name, total)
	have := 0
	for _, n := range p.Sizes {
		s, err := f.grow(ctx, svc, have, n, p.Writers, m)
		if err != nil {
			return res, err
		}
		if s.FindSimilar, s.Context, err = timeReads(ctx, svc, f.user, p.Queries, m); err != nil {
			return res, err
		}
		res.Sizes, have = append(res.Sizes, s), n
	}
	return res, nil
}

// timeReads times find-similar, then context generation, each over
// queries utterances, after one untimed warm-up of each: the first call
// fills caches (Redis' client-side cache) that every later call finds.
func timeReads(ctx context.Context, svc *memory.Service, user string, queries int, m *meter) (find, build Latency, err error) {
	texts := situationTexts()
	search := func(i int) error {
		_, err := svc.Search(ctx, user, memory.Query{Text: texts[(i*7+7)%len(texts)], K: 3})
		return err
	}
	contexts := func(i int) error {
		if _, err := svc.PromptContext(ctx, user); err != nil {
			return err
		}
		_, err := svc.DynamicContext(ctx, user, texts[(i*7+7)%len(texts)], 3)
		return err
	}
	if err := errors.Join(search(-1), contexts(-1)); err != nil {
		return find, build, err
	}
	d, err := timeEach(queries, search, m.tick)
	if err != nil {
		return find, build, fmt.Errorf("find similar: %w", err)
	}
	find = latencyOf(d)
	if d, err = timeEach(queries, contexts, m.tick); err != nil {
		return find, build, fmt.Errorf("context: %w", err)
	}
	return find, latencyOf(d), nil
}

// filler writes a user's interventions: the labelled utterances, each
// vector nudged so that no two records are identical (near-duplicates
// would be collapsed by search, which is not what a real history looks
// like), with a mix of outcomes, tools and scores.
type filler struct {
	user  string
	texts []string
	vecs  [][]float32
	tools []agent.Tool
}

func newFiller(ctx context.Context, e embed.Embedder, user string) (*filler, error) {
	texts := situationTexts()
	vecs, err := e.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embedding the utterances: %w", err)
	}
	var tools []agent.Tool
	for _, t := range agent.Tools() {
		if !t.ReadOnly {
			tools = append(tools, t)
		}
	}
	return &filler{user: user, texts: texts, vecs: vecs, tools: tools}, nil
}

var fillOutcomes = []memory.Outcome{memory.TaskCompleted, memory.ReEngaged, memory.Abandoned, memory.Distracted}

func (f *filler) intervention(i int, r *rand.Rand) memory.Intervention {
	k, t := i%len(f.texts), f.tools[i%len(f.tools)]
	v := append([]float32(nil), f.vecs[k]...)
	v[i%len(v)] += 0.05
	return memory.Intervention{UserID: f.user, SessionID: fmt.Sprint("s", i/10), Tool: t.Name, Category: t.Category,
		Context: f.texts[k], Text: "Used " + t.Name, Embedding: v, Outcome: fillOutcomes[i%len(fillOutcomes)],
		Scores: map[string]float64{agent.ScoreName: r.Float64()}}
}

// grow records interventions from..to-1 with writers concurrent callers
// and returns the size reached with the write throughput. The first error
// stops every writer.
func (f *filler) grow(ctx context.Context, svc *memory.Service, from, to, writers int, m *meter) (SizeResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	start := time.Now()
	for w := range writers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), uint64(from)))
			for i := int(next.Add(1) - 1); i < to && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				if _, err := svc.Record(ctx, f.intervention(i, r)); err != nil {
					cancel(err)
					return
				}
				m.tick()
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if ctx.Err() != nil {
		return SizeResult{}, fmt.Errorf("recording: %w", context.Cause(ctx))
	}
	return SizeResult{Interventions: to, RecordsPerS: float64(to-from) / took.Seconds()}, nil
}

func situationTexts() []string {
	ex := data.Situations()
	out := make([]string, len(ex))
	for i, e := range ex {
		out[i] = e.Text
	}
	return out
}
