package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/redisstore"
	"github.com/steady-voice/steady/memory/sqlitestore"
	"github.com/steady-voice/steady/sim"
)

// simFlags are the settings of one simulation run.
type simFlags struct {
	users, sessions, situations int
	seed                        uint64
	spread                      float64
	out                         string
	workers                     int
}

func (a *app) simCmd() *cobra.Command {
	var f simFlags
	c := &cobra.Command{
		Use:   "sim",
		Short: "Measure self-improvement: simulated users, four policies, learning curves",
		Long: `Runs simulated users — each with hidden traits: which support tools help
them in which situations — through the real agent, memory and evaluation
layers, session after session, and compares four policies on the same users
and the same random draws: memory (Steady as shipped), no-memory (the same
policy without retrieval), oracle (knows the persona) and random.

A situation succeeds when the first tool the agent chose helped. Prints the
success rate per session with 95% confidence intervals over users, and a
paired t-test of memory against no-memory over the second half of the
sessions. --out DIR also writes DIR/learning.svg and DIR/results.json.

Each policy's memory is fresh: an SQLite file in a temporary directory under
--data, removed afterwards, or with --redis users named per policy and
forgotten before and after. docs/SIMULATION.md explains the experiment.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			return a.sim(cmd.Context(), f)
		},
	}
	c.Flags().IntVar(&f.users, "users", 50, fmt.Sprintf("simulated users (1–%d)", sim.MaxUsers))
	c.Flags().IntVar(&f.sessions, "sessions", 10, fmt.Sprintf("sessions per user (1–%d)", sim.MaxSessions))
	c.Flags().IntVar(&f.situations, "situations", 3, fmt.Sprintf("situations a user raises per session (1–%d)", len(sim.Situations())))
	c.Flags().Uint64Var(&f.seed, "seed", 1, "random seed: the same seed gives the same results")
	c.Flags().Float64Var(&f.spread, "spread", sim.DefaultSpread, fmt.Sprintf("how much people differ in what helps them: the SD of a person's liking for a tool, logit scale (above 0, at most %g)", sim.MaxSpread))
	c.Flags().StringVar(&f.out, "out", "", "directory to write learning.svg and results.json into")
	c.Flags().IntVar(&f.workers, "workers", 2, "users of each policy simulated at once (1–64)")
	return c
}

func (f simFlags) check() error {
	switch {
	case f.users < 1 || f.users > sim.MaxUsers:
		return fmt.Errorf("--users %d: want 1 to %d", f.users, sim.MaxUsers)
	case f.sessions < 1 || f.sessions > sim.MaxSessions:
		return fmt.Errorf("--sessions %d: want 1 to %d", f.sessions, sim.MaxSessions)
	case f.situations < 1 || f.situations > len(sim.Situations()):
		return fmt.Errorf("--situations %d: want 1 to %d", f.situations, len(sim.Situations()))
	case !(f.spread > 0 && f.spread <= sim.MaxSpread):
		return fmt.Errorf("--spread %g: want above 0 and at most %g", f.spread, sim.MaxSpread)
	case f.workers < 1 || f.workers > 64:
		return fmt.Errorf("--workers %d: want 1 to 64", f.workers)
	}
	return nil
}

func (a *app) sim(ctx context.Context, f simFlags) error {
	e, err := a.embedder(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(a.cfg.Data, 0o700); err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	dir, err := os.MkdirTemp(a.cfg.Data, "sim-")
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	defer os.RemoveAll(dir)
	bar := newProgress(a.stderr, "simulating")
	res, err := sim.Run(ctx, sim.Config{Users: f.users, Sessions: f.sessions, Situations: f.situations, Seed: f.seed, Spread: f.spread,
		Embedder: e, OpenStore: a.simStore(dir), Dir: dir, Scores: a.scoreSink(),
		Workers: f.workers, Progress: bar.update, Logger: a.log})
	bar.done()
	if err != nil {
		return err
	}
	if f.out != "" {
		if err := writeSimFiles(f.out, res); err != nil {
			return err
		}
	}
	return a.show(res, res.WriteText)
}

// simStore opens each policy's memory: its own SQLite file under dir, or
// the Redis of --redis (the simulator names users per policy there).
func (a *app) simStore(dir string) func(context.Context, string) (memory.Store, error) {
	return func(ctx context.Context, policy string) (memory.Store, error) {
		if a.cfg.RedisURL != "" {
			st, err := redisstore.Open(ctx, a.cfg.RedisURL, redisstore.Options{})
			if err != nil {
				return nil, fmt.Errorf("memory on %s: %w", redactURL(a.cfg.RedisURL), err)
			}
			return st, nil
		}
		return sqlitestore.Open(ctx, filepath.Join(dir, policy+".db"), sqlitestore.Options{})
	}
}

func writeSimFiles(dir string, res *sim.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	for name, write := range map[string]func(*os.File) error{
		"learning.svg": func(f *os.File) error { return res.WriteSVG(f) },
		"results.json": func(f *os.File) error { return res.WriteJSON(f) },
	} {
		if err := writeFile(filepath.Join(dir, name), write); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	return nil
}

func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
