package bench

import (
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Latency is the distribution of one operation's durations.
type Latency struct {
	Count int     `json:"count"`
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// latencyOf summarises d, which it sorts. Percentiles are nearest-rank:
// always a measured duration, never an interpolation between two.
func latencyOf(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	return Latency{Count: len(d), P50Ms: ms(rank(d, 0.50)), P99Ms: ms(rank(d, 0.99)), MaxMs: ms(d[len(d)-1])}
}

func rank(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[max(i, 0)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// timeEach runs f n times and returns each call's duration.
func timeEach(n int, f func(i int) error, tick func()) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		if err := f(i); err != nil {
			return out, err
		}
		out = append(out, time.Since(start))
		tick()
	}
	return out, nil
}

// meter forwards a step's progress to a Progress, serialised (writers fill
// concurrently) and only when the percentage moves: a terminal redrawn
// 100,000 times costs more than what it reports on.
type meter struct {
	mu          sync.Mutex
	fn          Progress
	step        string
	done, total int
	shown       int
}

func newMeter(fn Progress, step string, total int) *meter {
	m := &meter{fn: fn, step: step, total: total, shown: -1}
	m.add(0)
	return m
}

func (m *meter) add(n int) {
	if m == nil || m.fn == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += n
	if pct := m.done * 100 / max(m.total, 1); pct != m.shown {
		m.shown = pct
		m.fn(m.step, m.done, m.total)
	}
}

func (m *meter) tick() { m.add(1) }

// newUser is a fresh user id for one section: no other user's keys are
// ever touched, and two runs never share a user.
func newUser(section string) string {
	return "bench-" + section + "-" + uuid.Must(uuid.NewV7()).String()
}
