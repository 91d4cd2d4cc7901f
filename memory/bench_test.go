package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/internal/redistest"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/redisstore"
	"github.com/steady-voice/steady/memory/sqlitestore"
)

// benchService returns a Service on the named store, holding n
// interventions of one user, made of the labelled utterances with realistic
// outcomes and scores.
func benchService(b *testing.B, store string, n int) *memory.Service {
	b.Helper()
	ctx := context.Background()
	var st memory.Store
	var err error
	switch store {
	case "sqlite":
		st, err = sqlitestore.Open(ctx, filepath.Join(b.TempDir(), "memory.db"), sqlitestore.Options{})
	case "redis":
		st, err = redisstore.Open(ctx, redistest.Start(b).URL(), redisstore.Options{})
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	g, err := embed.NewGloVe()
	if err != nil {
		b.Fatal(err)
	}
	svc, err := memory.New(memory.Config{Store: st, Embedder: g})
	if err != nil {
		b.Fatal(err)
	}
	fill(b, svc, g, n)
	return svc
}

func fill(b *testing.B, svc *memory.Service, g embed.Embedder, n int) {
	set := embed.Utterances()
	texts := make([]string, len(set))
	for i, u := range set {
		texts[i] = u.Text
	}
	vecs, err := g.Embed(context.Background(), texts)
	if err != nil {
		b.Fatal(err)
	}
	outcomes := []memory.Outcome{memory.TaskCompleted, memory.ReEngaged, memory.Abandoned, memory.Distracted}
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(1, 2))
			for i := range work {
				k := i % len(set)
				v := append([]float32(nil), vecs[k]...)
				v[i%len(v)] += 0.05 // no two records identical
				_, err := svc.Record(context.Background(), memory.Intervention{UserID: "bench", SessionID: fmt.Sprint("s", i/10),
					Tool: "grounding_exercise", Category: memory.Emotional, Context: texts[k], Text: "Let's try 5-4-3-2-1.",
					Embedding: v, Outcome: outcomes[i%len(outcomes)], Scores: map[string]float64{"effectiveness": r.Float64()}})
				if err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

func BenchmarkSearch(b *testing.B) {
	for _, store := range []string{"sqlite", "redis"} {
		b.Run(store, func(b *testing.B) {
			svc := benchService(b, store, 10_000)
			ctx := context.Background()
			q := memory.Query{Text: "I keep staring at the report and can't begin", K: 3}
			svc.Search(ctx, "bench", q) // warm the caches
			b.ResetTimer()
			for b.Loop() {
				if _, err := svc.Search(ctx, "bench", q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkContext is what a turn pays for memory: the session's prompt
// context and the few-shot examples for what the user just said.
func BenchmarkContext(b *testing.B) {
	for _, store := range []string{"sqlite", "redis"} {
		b.Run(store, func(b *testing.B) {
			svc := benchService(b, store, 10_000)
			ctx := context.Background()
			svc.PromptContext(ctx, "bench")
			b.ResetTimer()
			for b.Loop() {
				if _, err := svc.PromptContext(ctx, "bench"); err != nil {
					b.Fatal(err)
				}
				if _, err := svc.DynamicContext(ctx, "bench", "everything is too loud and I can't think", 3); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
