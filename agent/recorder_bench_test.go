package agent_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/memory"
)

// recHistogram counts call durations in 10ns buckets up to 1ms, plus one
// bucket for anything longer.
type recHistogram struct {
	counts [100_001]int64
}

const recBucketNS = 10

func (h *recHistogram) add(d time.Duration) {
	h.counts[min(int(d.Nanoseconds()/recBucketNS), len(h.counts)-1)]++
}

func (h *recHistogram) merge(o *recHistogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

// quantile returns the upper edge of the bucket holding quantile q.
func (h *recHistogram) quantile(q float64) float64 {
	var total int64
	for _, c := range h.counts {
		total += c
	}
	want := int64(q * float64(total))
	var seen int64
	for i, c := range h.counts {
		if seen += c; seen > want {
			return float64((i + 1) * recBucketNS)
		}
	}
	return float64(len(h.counts) * recBucketNS)
}

func (h *recHistogram) report(b *testing.B) {
	b.ReportMetric(h.quantile(0.50), "p50-ns")
	b.ReportMetric(h.quantile(0.99), "p99-ns")
}

// benchRecorder is a Recorder on a real SQLite memory whose queue holds
// every call of the run, so the benchmark measures the enqueue, not the
// spool; the store works through the queue meanwhile, on the same CPUs.
// Whatever it has not stored when the run ends goes to the spool, untimed.
func benchRecorder(b *testing.B, queue int) *agent.Recorder {
	b.Helper()
	rec := recStart(b, recSQLiteMemory(b), filepath.Join(b.TempDir(), "recorder.spool"),
		func(c *agent.RecorderConfig) { c.QueueSize = queue })
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		_ = rec.Close(ctx)
	})
	return rec
}

func benchIntervention() memory.Intervention {
	iv := recIntervention("alice", 0)
	iv.Embedding = make([]float32, 100) // computed by the caller already: the spool keeps it
	iv.Embedding[0] = 1
	return iv
}

// BenchmarkRecorderRecord measures one Record call with room in the queue.
func BenchmarkRecorderRecord(b *testing.B) {
	rec := benchRecorder(b, 2*(b.N+1)) // each of the 2 shards can hold the whole run
	iv := benchIntervention()
	h := &recHistogram{}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		rec.Record(iv)
		h.add(time.Since(start))
	}
	b.StopTimer()
	h.report(b)
}

// BenchmarkRecorderRecordPaced calls Record 2,000 times a second for one
// user. Tool calls come at a human pace, so between two of them the worker
// has usually run out of work: this is where a Record that had to wake it
// would pay for the wake-up, which BenchmarkRecorderRecord, calling as fast
// as it can, never shows.
func BenchmarkRecorderRecordPaced(b *testing.B) {
	const every = 500 * time.Microsecond
	rec := benchRecorder(b, 2*(b.N+1))
	iv := benchIntervention()
	h := &recHistogram{}
	b.ReportAllocs()
	b.ResetTimer()
	next := time.Now()
	for range b.N {
		for time.Now().Before(next) { // spin: a sleep is far coarser than 50 µs
		}
		next = next.Add(every)
		start := time.Now()
		rec.Record(iv)
		h.add(time.Since(start))
	}
	b.StopTimer()
	h.report(b)
}

// BenchmarkRecorderRecordParallel has every CPU recording at once, for
// users spread over the shards.
func BenchmarkRecorderRecordParallel(b *testing.B) {
	rec := benchRecorder(b, 2*(b.N+1)) // each of the 2 shards can hold the whole run
	var mu sync.Mutex
	total := &recHistogram{}
	users := []string{"alice", "bob", "carol", "dan", "erin", "frank", "grace", "heidi"}
	var next int
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		iv := benchIntervention()
		iv.UserID, next = users[next%len(users)], next+1
		mu.Unlock()
		h := &recHistogram{}
		for pb.Next() {
			start := time.Now()
			rec.Record(iv)
			h.add(time.Since(start))
		}
		mu.Lock()
		total.merge(h)
		mu.Unlock()
	})
	b.StopTimer()
	total.report(b)
}

// BenchmarkRecorderRecordSpill measures Record when the queue is full and
// every call appends to the spool instead: the bounded local append.
func BenchmarkRecorderRecordSpill(b *testing.B) {
	rec := benchRecorder(b, 1)
	iv := benchIntervention()
	h := &recHistogram{}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		rec.Record(iv)
		h.add(time.Since(start))
	}
	b.StopTimer()
	h.report(b)
}
