package sqlitestore_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/sqlitestore"
)

const benchDims = 100

// BenchmarkCandidates measures what a search costs a store: Candidates for
// one user, then the exact cosine of a query with every candidate (the
// Service's vectors are unit length, so the cosine is the dot product).
// The target is 1 ms for 10,000 candidates.
func BenchmarkCandidates(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchCandidates(b, n, sqlitestore.Options{}) })
	}
}

// BenchmarkCandidatesUncached is the same search with the cache off: every
// call reads the user's rows from SQLite. It shows what the cache is for.
func BenchmarkCandidatesUncached(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchCandidates(b, n, sqlitestore.Options{CacheUsers: -1}) })
	}
}

func benchCandidates(b *testing.B, n int, opt sqlitestore.Options) {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "memory.db"), opt)
	now := time.Now()
	putMany(b, s, n, func(i int) memory.Intervention { return benchIntervention("alice", now, uint64(i)) })
	query := unitVector(rand.New(rand.NewPCG(1, 2)))
	if _, err := s.Candidates(ctx, "alice"); err != nil { // fills the cache
		b.Fatalf("Candidates: got %v, want nil", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		cands, err := s.Candidates(ctx, "alice")
		if err != nil || len(cands) != n {
			b.Fatalf("Candidates: got %d, %v; want %d, nil", len(cands), err, n)
		}
		best(query, cands)
	}
}

// best returns the index of the candidate most similar to query.
func best(query []float32, cands []memory.Candidate) int {
	top, at := float32(math.Inf(-1)), -1
	for i := range cands {
		if sim := embed.Dot(query, cands[i].Vector); sim > top {
			top, at = sim, i
		}
	}
	return at
}

// BenchmarkPutIntervention records interventions, vector included, from 32
// concurrent writers, for one user or spread over 10,000, with the writes
// grouped into shared transactions as the store does, or each committed on
// its own. records/s is the throughput; the target is 5,000/s.
func BenchmarkPutIntervention(b *testing.B) {
	for _, users := range []int{1, 10_000} {
		for _, grouped := range []bool{true, false} {
			name := fmt.Sprintf("users=%d/group=%t", users, grouped)
			b.Run(name, func(b *testing.B) { benchPut(b, users, grouped) })
		}
	}
}

func benchPut(b *testing.B, users int, grouped bool) {
	s := open(b, filepath.Join(b.TempDir(), "memory.db"), sqlitestore.Options{})
	if !grouped {
		sqlitestore.DisableGroupCommit(s)
	}
	names := make([]string, users)
	for i := range names {
		names[i] = fmt.Sprintf("user-%d", i)
	}
	now := time.Now()
	var seq atomic.Uint64
	const writers = 32
	b.SetParallelism((writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			iv := benchIntervention(names[n%uint64(users)], now, n)
			if err := s.PutIntervention(context.Background(), iv); err != nil {
				b.Errorf("PutIntervention: got %v, want nil", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// benchIntervention is a typical record: a turn of speech, a reply, small
// args, one score and a 100-dimension vector.
func benchIntervention(user string, now time.Time, seed uint64) memory.Intervention {
	r := rand.New(rand.NewPCG(seed, 7))
	return memory.Intervention{
		ID: uuid.Must(uuid.NewV7()).String(), UserID: user, SessionID: "session-1",
		Tool: "break_down_task", Category: memory.Task,
		Context:   "ugh I cannot get started on the report, my desk is a mess and I keep checking my phone",
		Text:      "Let's make it tiny: clear one corner of the desk, then open the report and write its title.",
		Task:      "write the report",
		Args:      []byte(`{"task":"write the report","steps":["clear one corner","open the report","write the title"]}`),
		Outcome:   memory.Outcomes[r.IntN(len(memory.Outcomes))],
		Scores:    map[string]float64{"effectiveness": r.Float64()},
		CreatedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour),
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", CallID: "call-1",
		Embedding: unitVector(r), Embedder: "glove-sif/100",
	}
}

func unitVector(r *rand.Rand) []float32 {
	v := make([]float32, benchDims)
	var norm float64
	for i := range v {
		x := r.NormFloat64()
		v[i], norm = float32(x), norm+x*x
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(norm))
	}
	return v
}
