// Package bench measures Steady in-process, for `steady bench`: memory
// record throughput and find-similar latency as one user's history grows,
// the context a turn pays, tracing overhead, the offline turn end to end and
// the HTTP server under conversation load.
//
// The go test benchmarks of each package carry the performance claims; this
// package repeats the important ones where no Go toolchain is at hand (a
// deployed binary, a user's machine). It times plain loops with time.Now
// rather than testing.Benchmark: percentiles need every operation's
// duration, which testing.Benchmark does not give, and fixed sizes let a
// run (--quick) promise how long it takes, where testing.Benchmark grows
// its own iteration count.
//
// Every section works on its own users, with fresh ids, and forgets them
// afterwards, so it may run against a store that holds real users.
package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/memory"
)

// Plan is how much work each section does.
type Plan struct {
	Name    string
	Sizes   []int // interventions of the one user, ascending
	Queries int   // timed find-similar calls (and context builds) at each size
	Writers int   // concurrent Record callers while filling

	History int // scored interventions of the user before the offline turns
	Turns   int

	Sessions int           // concurrent HTTP sessions, four per user
	LoadFor  time.Duration // how long they talk
	Think    time.Duration // pause after each answer, as a person's

	TracingRounds, TracingCalls int // rounds of calls per variant
}

// Full is the complete run: a few minutes on two cores.
func Full() Plan {
	return Plan{Name: "full", Sizes: []int{1_000, 10_000, 100_000}, Queries: 200, Writers: 16,
		History: 1_000, Turns: 2_000, Sessions: 200, LoadFor: 30 * time.Second, Think: time.Second,
		TracingRounds: 50, TracingCalls: 2_000}
}

// Quick finishes within a minute on two cores, with Redis included.
func Quick() Plan {
	return Plan{Name: "quick", Sizes: []int{1_000, 10_000}, Queries: 100, Writers: 16,
		History: 1_000, Turns: 500, Sessions: 50, LoadFor: 5 * time.Second, Think: time.Second,
		TracingRounds: 25, TracingCalls: 2_000}
}

// Tiny checks that every section works; its figures mean nothing.
func Tiny() Plan {
	return Plan{Name: "tiny", Sizes: []int{50, 100}, Queries: 20, Writers: 4,
		History: 50, Turns: 20, Sessions: 5, LoadFor: time.Second, Think: 200 * time.Millisecond,
		TracingRounds: 3, TracingCalls: 200}
}

// check refuses a plan that would measure nothing, or divide by zero.
func (p Plan) check() error {
	ok := len(p.Sizes) > 0 && slices.IsSorted(p.Sizes) && p.Sizes[0] > 0 && p.Queries > 0 && p.Writers > 0 &&
		p.History >= 0 && p.Turns > 0 && p.Sessions > 0 && p.LoadFor > 0 && p.Think >= 0 &&
		p.TracingRounds > 0 && p.TracingCalls > 0
	if !ok {
		return fmt.Errorf("bench: plan %q has an empty or negative part: %+v", p.Name, p)
	}
	return nil
}

// Backend is a memory store to measure. The caller opens and closes it.
type Backend struct {
	Name  string // "sqlite", "redis"
	Store memory.Store
}

// Progress hears how far a step has come: its label, work done, and the
// total. Calls come from one goroutine at a time.
type Progress func(step string, done, total int)

// Config is one run.
type Config struct {
	Plan     Plan
	Backends []Backend
	Embedder embed.Embedder // what memory records and searches with
	// Dir holds the run's scratch files (trace stores, accounts, spools).
	Dir      string
	Machine  Machine
	Skipped  []string // what the caller left out, and how to include it
	Logger   *slog.Logger
	Progress Progress
}

// Report is every section's result. Field names carry their units.
type Report struct {
	Plan    string         `json:"plan"`
	Machine Machine        `json:"machine"`
	Memory  []MemoryResult `json:"memory"`
	Tracing TracingResult  `json:"tracing"`
	Turn    []TurnResult   `json:"offline_turn"`
	Load    []LoadResult   `json:"http_load"`
	Skipped []string       `json:"skipped,omitempty"`
	TookS   float64        `json:"took_s"`
}

// Run runs every section: memory on each backend, tracing, the offline
// turn on each backend, then the HTTP load on each backend. Sections run
// one after another, so none measures another's background work.
func Run(ctx context.Context, cfg Config) (Report, error) {
	start := time.Now()
	r := Report{Plan: cfg.Plan.Name, Machine: cfg.Machine, Skipped: cfg.Skipped}
	if err := cfg.Plan.check(); err != nil {
		return r, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for _, b := range cfg.Backends {
		m, err := Memory(ctx, MemoryConfig{Backend: b, Embedder: cfg.Embedder, Plan: cfg.Plan, Progress: cfg.Progress})
		if err != nil {
			return r, fmt.Errorf("memory on %s: %w", b.Name, err)
		}
		r.Memory = append(r.Memory, m)
	}
	var err error
	if r.Tracing, err = Tracing(ctx, TracingConfig{Dir: cfg.Dir, Embedder: cfg.Embedder, Plan: cfg.Plan, Progress: cfg.Progress}); err != nil {
		return r, fmt.Errorf("tracing: %w", err)
	}
	if err := runPerBackend(ctx, cfg, &r); err != nil {
		return r, err
	}
	r.TookS = time.Since(start).Seconds()
	return r, nil
}

func runPerBackend(ctx context.Context, cfg Config, r *Report) error {
	for _, b := range cfg.Backends {
		t, err := Turn(ctx, TurnConfig{Backend: b, Embedder: cfg.Embedder, Dir: cfg.Dir, Plan: cfg.Plan, Logger: cfg.Logger, Progress: cfg.Progress})
		if err != nil {
			return fmt.Errorf("offline turn on %s: %w", b.Name, err)
		}
		r.Turn = append(r.Turn, t)
	}
	for _, b := range cfg.Backends {
		l, err := Load(ctx, LoadConfig{Backend: b, Embedder: cfg.Embedder, Dir: cfg.Dir, Plan: cfg.Plan, Logger: cfg.Logger, Progress: cfg.Progress})
		if err != nil {
			return fmt.Errorf("HTTP load on %s: %w", b.Name, err)
		}
		r.Load = append(r.Load, l)
	}
	return nil
}

// forget deletes a bench user's records, even when ctx was cancelled (an
// interrupted run must not leave them behind), and adds a failure to *err.
func forget(ctx context.Context, svc *memory.Service, userID string, err *error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if _, ferr := svc.Forget(ctx, userID); ferr != nil {
		*err = errors.Join(*err, fmt.Errorf("forgetting bench user %s: %w", userID, ferr))
	}
}
