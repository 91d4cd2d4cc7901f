package redisstore_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/internal/redistest"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/redisstore"
)

// BenchmarkCandidates is the hot path of a search: Candidates of one user
// with a warm client-side cache, then the exact cosine of the query with
// every candidate (unit vectors, so a dot product, as memory.Service does),
// keeping the best three.
func BenchmarkCandidates(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("interventions=%d", n), func(b *testing.B) {
			s, _ := openStore(b, redistest.Start(b).URL(), redisstore.Options{})
			fill(b, s, "alice", n)
			query := unitVector(1 << 40)
			ctx := context.Background()
			if _, err := s.Candidates(ctx, "alice"); err != nil { // warm the cache
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				cands, err := s.Candidates(ctx, "alice")
				if err != nil || len(cands) != n {
					b.Fatalf("Candidates: got %d, error %v; want %d", len(cands), err, n)
				}
				top3(cands, query)
			}
		})
	}
}

// BenchmarkCosine is the cosine part of BenchmarkCandidates alone, over the
// same candidates: the difference between the two is the store's.
func BenchmarkCosine(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("interventions=%d", n), func(b *testing.B) {
			cands := make([]memory.Candidate, n)
			for i := range cands {
				cands[i] = memory.Candidate{ID: strconv.Itoa(i), Vector: unitVector(uint64(i))}
			}
			query := unitVector(1 << 40)
			for b.Loop() {
				top3(cands, query)
			}
		})
	}
}

// fill stores n interventions of user, written by 32 goroutines.
func fill(b testing.TB, s memory.Store, user string, n int) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	now := time.Now()
	for range 32 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				iv := intervention(b, user, uint64(i), now.Add(time.Duration(i)), 30*24*time.Hour)
				if err := s.PutIntervention(context.Background(), iv); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// top3 returns the three candidates most similar to q.
func top3(cands []memory.Candidate, q []float32) [3]*memory.Candidate {
	var best [3]*memory.Candidate
	sims := [3]float32{-2, -2, -2}
	for i := range cands {
		sim := embed.Dot(q, cands[i].Vector)
		for j := range best {
			if sim > sims[j] {
				copy(sims[j+1:], sims[j:2])
				copy(best[j+1:], best[j:2])
				sims[j], best[j] = sim, &cands[i]
				break
			}
		}
	}
	return best
}

// BenchmarkPutIntervention writes with 32 goroutines at once, the load of
// many sessions recording their tool calls, for one user and spread over
// 10,000 users. puts/s is the throughput.
func BenchmarkPutIntervention(b *testing.B) {
	for _, users := range []int{1, 10_000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			s, _ := openStore(b, redistest.Start(b).URL(), redisstore.Options{})
			now := time.Now()
			var seq atomic.Uint64
			b.SetParallelism(max(1, 32/runtimeProcs()))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					iv := intervention(b, "user-"+strconv.Itoa(int(n)%users), n, now, 30*24*time.Hour)
					if err := s.PutIntervention(context.Background(), iv); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
		})
	}
}

// BenchmarkDoMultiCachePerKey measures the design candidates.go rejects:
// one cached key per record, 10,000 of them read with DoMultiCache, every
// one a cache hit. It is the floor of that design before any decoding.
func BenchmarkDoMultiCachePerKey(b *testing.B) {
	const n = 10_000
	srv := redistest.Start(b)
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, PipelineMultiplex: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	value := string(make([]byte, 4*dims+100))
	multi := func() []rueidis.CacheableTTL {
		m := make([]rueidis.CacheableTTL, n)
		for i := range m {
			m[i] = rueidis.CT(c.B().Get().Key("{u:alice}:iv:"+strconv.Itoa(i)).Cache(), time.Hour)
		}
		return m
	}
	for i := range n {
		if err := c.Do(ctx, c.B().Set().Key("{u:alice}:iv:"+strconv.Itoa(i)).Value(value).Build()).Error(); err != nil {
			b.Fatal(err)
		}
	}
	c.DoMultiCache(ctx, multi()...) // warm
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range c.DoMultiCache(ctx, multi()...) {
			if !r.IsCacheHit() {
				b.Fatal("a cache miss in a warm cache")
			}
		}
	}
}
