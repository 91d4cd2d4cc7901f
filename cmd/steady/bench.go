package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/steady-voice/steady/bench"
	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/internal/gctune"
	"github.com/steady-voice/steady/memory/redisstore"
	"github.com/steady-voice/steady/memory/sqlitestore"
)

// The bench is untraced (see tracing.go): its memory section alone would
// store 100,000 spans in traces.db, and tracing every operation would change
// what it measures. It sets up tracing itself where tracing is part of what
// is measured (the tracing overhead, the HTTP server).

func (a *app) benchCmd() *cobra.Command {
	var quick, tiny bool
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure memory, tracing, the offline turn and the HTTP server on this machine",
		Long: `Runs Steady's benchmarks in-process and prints them with a description of
the machine: memory record throughput and find-similar latency (p50/p99) for
one user with 1,000, 10,000 and 100,000 interventions; context generation
latency; tracing overhead (a traced call against an untraced one); the
offline turn end to end; the HTTP server under conversation load (200
sessions for 30 s, each thinking 1 s after an answer).

Memory is measured on a fresh SQLite file in a temporary directory under
--data, and on Redis when --redis is given, with GloVe-SIF embeddings
whatever --embedder says. Every user the bench creates has a fresh id and is
forgotten afterwards: no other user's records are touched.

--quick measures 1,000 and 10,000 interventions, fewer queries and turns, and
50 sessions for 5 s: it finishes within a minute on two cores.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan := bench.Full()
			switch {
			case tiny:
				plan = bench.Tiny()
			case quick:
				plan = bench.Quick()
			}
			return a.bench(cmd.Context(), plan)
		},
	}
	c.Flags().BoolVar(&quick, "quick", false, "a smaller run that finishes within a minute on two cores")
	// --tiny exists for the command's own test: every section at sizes too
	// small to mean anything, in a few seconds.
	c.Flags().BoolVar(&tiny, "tiny", false, "every section at toy sizes (for tests; the figures mean nothing)")
	c.Flags().MarkHidden("tiny")
	return c
}

func (a *app) bench(ctx context.Context, plan bench.Plan) (err error) {
	defer gctune.Apply()() // measured as steady serve runs
	if err := os.MkdirAll(a.cfg.Data, 0o700); err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	dir, err := os.MkdirTemp(a.cfg.Data, "bench-")
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	defer os.RemoveAll(dir)
	g, err := embed.NewGloVe()
	if err != nil {
		return err
	}
	cfg := bench.Config{Plan: plan, Embedder: g, Dir: dir, Machine: bench.Describe(), Logger: a.log}
	closeStores, err := a.benchBackends(ctx, &cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closeStores()) }()
	p := &benchProgress{a: a}
	cfg.Progress = p.update
	r, err := bench.Run(ctx, cfg)
	p.finish()
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) error { return printBench(w, r) })
}

// benchBackends opens the stores to measure: a fresh SQLite file under the
// run's directory, and Redis when --redis is given.
func (a *app) benchBackends(ctx context.Context, cfg *bench.Config) (close func() error, err error) {
	lite, err := sqlitestore.Open(ctx, filepath.Join(cfg.Dir, "memory.db"), sqlitestore.Options{})
	if err != nil {
		return nil, err
	}
	cfg.Backends = []bench.Backend{{Name: "sqlite", Store: lite}}
	if a.cfg.RedisURL == "" {
		cfg.Skipped = append(cfg.Skipped, "redis: no --redis URL given; run `steady --redis redis://HOST:6379 bench` (or set STEADY_REDIS_URL) to include it")
		return lite.Close, nil
	}
	where := redactURL(a.cfg.RedisURL)
	rs, err := redisstore.Open(ctx, a.cfg.RedisURL, redisstore.Options{})
	if err != nil {
		lite.Close()
		return nil, fmt.Errorf("memory on %s: %w", where, err)
	}
	vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if cfg.Machine.RedisVersion, err = bench.RedisVersion(vctx, a.cfg.RedisURL); err != nil {
		a.log.Warn("Redis did not tell its version", "redis", where, "err", err)
	}
	cfg.Backends = append(cfg.Backends, bench.Backend{Name: "redis", Store: rs})
	return func() error { return errors.Join(lite.Close(), rs.Close()) }, nil
}

// benchProgress draws one bar per step on a terminal, and logs each step
// as it starts, so a run in a pipe or a CI log also shows where it is.
type benchProgress struct {
	a    *app
	step string
	bar  *progress
}

func (p *benchProgress) update(step string, done, total int) {
	if step != p.step {
		p.finish()
		p.step, p.bar = step, newProgress(p.a.stderr, step)
		p.a.log.Info("bench", "step", step)
	}
	p.bar.update(done, total)
}

func (p *benchProgress) finish() {
	if p.bar != nil {
		p.bar.done()
		p.bar = nil
	}
}

// printBench writes one table per section, for a tabwriter.
func printBench(w io.Writer, r bench.Report) error {
	fmt.Fprintf(w, "steady bench (%s) on %s\n", r.Plan, r.Machine)
	fmt.Fprintf(w, "took %.0f s\n", r.TookS)
	printMemory(w, r.Memory)
	printTracing(w, r.Tracing)
	printTurns(w, r.Turn)
	printLoad(w, r.Load)
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "\nskipped %s\n", s)
	}
	return nil
}

func printMemory(w io.Writer, ms []bench.MemoryResult) {
	if len(ms) == 0 {
		return
	}
	fmt.Fprintf(w, "\nMemory, one user: Record with %d writers (vector given), find similar (k = 3), context (PromptContext + DynamicContext)\n", ms[0].Writers)
	fmt.Fprintln(w, "store\tinterventions\trecords/s\tfind p50 ms\tfind p99 ms\tcontext p50 ms\tcontext p99 ms")
	for _, m := range ms {
		for _, s := range m.Sizes {
			fmt.Fprintf(w, "%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\n", m.Backend, thousands(s.Interventions), thousands(int(s.RecordsPerS+0.5)),
				s.FindSimilar.P50Ms, s.FindSimilar.P99Ms, s.Context.P50Ms, s.Context.P99Ms)
		}
	}
}

func printTracing(w io.Writer, t bench.TracingResult) {
	fmt.Fprintf(w, "\nTracing: %s, %s calls each way, into %s\n", t.Function, thousands(t.Calls), t.Sink)
	fmt.Fprintln(w, "untraced µs\ttraced µs\toverhead µs\tratio\tspans dropped")
	fmt.Fprintf(w, "%.2f\t%.2f\t%.2f\t%.2f×\t%d\n", t.UntracedUs, t.TracedUs, t.OverheadUs, t.Ratio, t.SpansDropped)
}

func printTurns(w io.Writer, ts []bench.TurnResult) {
	if len(ts) == 0 {
		return
	}
	fmt.Fprintf(w, "\nOffline turn, end to end, for a user with %s scored interventions (paced)\n", thousands(ts[0].History))
	fmt.Fprintln(w, "store\tturns\tp50 ms\tp99 ms\tmax ms")
	for _, t := range ts {
		fmt.Fprintf(w, "%s\t%s\t%.2f\t%.2f\t%.2f\n", t.Backend, thousands(t.Turn.Count), t.Turn.P50Ms, t.Turn.P99Ms, t.Turn.MaxMs)
	}
}

func printLoad(w io.Writer, ls []bench.LoadResult) {
	if len(ls) == 0 {
		return
	}
	l := ls[0]
	fmt.Fprintf(w, "\nHTTP load: %d sessions (4 per user) for %.0f s, %.1f s think time, traced into a trace store\n", l.Sessions, l.DurationS, l.ThinkS)
	fmt.Fprintln(w, "store\tmessages\tmessages/s\tp50 ms\tp99 ms\terrors")
	for _, l := range ls {
		fmt.Fprintf(w, "%s\t%s\t%.1f\t%.2f\t%.2f\t%d\n", l.Backend, thousands(l.Messages), l.MessagesPerS, l.Message.P50Ms, l.Message.P99Ms, l.Errors)
		if l.FirstError != "" {
			fmt.Fprintf(w, "  first error (%s): %s\n", l.Backend, l.FirstError)
		}
	}
}

// thousands writes n with comma separators: 100000 is hard to tell from
// 10000 at a glance.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
