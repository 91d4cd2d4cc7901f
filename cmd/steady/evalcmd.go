package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/eval/evalstore"
)

// evalSubcommands builds the subcommands of `steady eval`. A command kept in
// its own file joins them by appending its constructor here, e.g. from an
// init function: evalSubcommands = append(evalSubcommands, (*app).evalRunCmd).
// Help lists them sorted by name, so the order does not matter.
var evalSubcommands = []func(*app) *cobra.Command{
	(*app).evalListCmd, (*app).evalShowCmd, (*app).evalCompareCmd,
}

func (a *app) evalCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "eval",
		Short: "Read the evaluation runs stored in the trace store (traces.db under --data)",
	}
	for _, sub := range evalSubcommands {
		c.AddCommand(sub(a))
	}
	return c
}

// runStore reads and writes evaluation runs in the trace store the command
// opened; runs live in traces.db beside the calls they traced.
func (a *app) runStore() *evalstore.Store { return evalstore.New(a.traces) }

// scorerByName returns the built-in scorer called name; the error lists
// the names there are, so a typo is fixed without reading the docs.
func scorerByName(name string) (eval.Scorer, error) {
	var names []string
	for _, s := range eval.Builtin() {
		if s.Name() == name {
			return s, nil
		}
		names = append(names, s.Name())
	}
	return nil, fmt.Errorf("--scorer %q: want one of %s", name, strings.Join(names, ", "))
}

func (a *app) evalListCmd() *cobra.Command {
	var limit int
	c := &cobra.Command{
		Use:   "list",
		Short: "List stored evaluation runs, newest first, with each scorer's headline metric",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			runs, err := a.runStore().ListRuns(cmd.Context(), limit)
			if err != nil {
				return err
			}
			return a.show(runs, func(w io.Writer) error {
				fmt.Fprintln(w, "id\tname\tstarted\trows\terrors\tscores")
				for _, r := range runs {
					fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%s\n", r.ID, orDash(r.Name), r.Started.Local().Format(time.DateTime),
						r.Summary.Rows, r.Summary.Errors(), headlines(r))
				}
				return nil
			})
		},
	}
	c.Flags().IntVar(&limit, "limit", 20, "at most this many (1–1000)")
	return c
}

// headlines is one figure per scorer, "brevity=0.83": the mean of its main
// score when it has one, else its first metric by name, shown with its
// path ("picky.score.true_fraction=0.67") since it is not a mean score.
func headlines(r *eval.Run) string {
	var parts []string
	for _, name := range r.Scorers {
		flat := r.Summary.Scorers[name].Flatten()
		if v, ok := flat[eval.ScoreKey+".mean"]; ok {
			parts = append(parts, fmt.Sprintf("%s=%.2f", name, v))
		} else if len(flat) > 0 {
			path := slices.Min(slices.Collect(maps.Keys(flat)))
			parts = append(parts, fmt.Sprintf("%s.%s=%.2f", name, path, flat[path]))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func (a *app) evalShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show RUN_ID",
		Short: "Show a run's summary: rows, errors, latency and every scorer's metrics",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			run, err := a.runStore().LoadRun(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.show(run, func(w io.Writer) error { return printRun(w, run) })
		},
	}
}

// printRun prints a run's header lines, then one line per scorer metric;
// the header has no tabs, so it does not widen the table's columns.
func printRun(w io.Writer, r *eval.Run) error {
	s := r.Summary
	fmt.Fprintf(w, "run %s\nstarted %s, took %s\n", runLabel(r), r.Started.Local().Format(time.DateTime),
		roundLatency(r.Finished.Sub(r.Started)))
	fmt.Fprintf(w, "%d rows, %d model errors, %s, mean latency %s\n\n", s.Rows, s.ModelErrors,
		scoreErrors(r), roundLatency(s.MeanLatency))
	fmt.Fprintln(w, "scorer\tmetric\tvalue")
	for _, name := range r.Scorers {
		flat := s.Scorers[name].Flatten()
		if len(flat) == 0 {
			fmt.Fprintf(w, "%s\t-\t-\n", name) // it failed on every row
		}
		for _, path := range slices.Sorted(maps.Keys(flat)) {
			fmt.Fprintf(w, "%s\t%s\t%s\n", name, path, figure(flat[path]))
		}
	}
	return nil
}

// scoreErrors names the scorers that failed on some rows, since a mean
// over fewer rows than the run has can mislead.
func scoreErrors(r *eval.Run) string {
	var parts []string
	for _, name := range r.Scorers {
		if n := r.Summary.ScoreErrors[name]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", name, n))
		}
	}
	if len(parts) == 0 {
		return "no scorer errors"
	}
	return "scorer errors: " + strings.Join(parts, ", ")
}

// figure prints v to at most three places without trailing zeros, so a
// count reads "3" and a mean "0.333".
func figure(v float64) string {
	if r := math.Round(v*1000) / 1000; !math.IsInf(r, 0) {
		v = r // huge values would overflow when scaled
	}
	if v == 0 {
		v = 0 // not "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func delta(v float64) string {
	s := figure(v)
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

func (a *app) evalCompareCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "compare RUN_A RUN_B",
		Short: "Compare run B against run A, scorer by scorer (delta = B − A)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			runs := a.runStore()
			ra, err := runs.LoadRun(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			rb, err := runs.LoadRun(cmd.Context(), args[1])
			if err != nil {
				return err
			}
			c := eval.Compare(ra, rb)
			return a.show(c, func(w io.Writer) error { return printComparison(w, ra, rb, c) })
		},
	}
}

// printComparison prints the metric deltas, then the per-row wins: two
// tables, apart, since their columns mean different things.
func printComparison(w io.Writer, ra, rb *eval.Run, c eval.Comparison) error {
	fmt.Fprintf(w, "A = %s\nB = %s\n\n", runLabel(ra), runLabel(rb))
	if len(c.Scorers) == 0 {
		_, err := fmt.Fprintln(w, "no scorer in common")
		return err
	}
	fmt.Fprintln(w, "scorer\tmetric\tA\tB\tdelta")
	for _, sc := range c.Scorers {
		for _, m := range sc.Metrics {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", sc.Scorer, m.Path, figure(m.A), figure(m.B), delta(m.Delta))
		}
	}
	fmt.Fprintln(w, "\nscorer\trows in both\tB better\tB worse\tties")
	for _, sc := range c.Scorers {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\n", sc.Scorer, sc.Rows, sc.Wins, sc.Losses, sc.Ties)
	}
	return nil
}

func runLabel(r *eval.Run) string {
	if r.Name == "" {
		return r.ID
	}
	return r.ID + " (" + r.Name + ")"
}
