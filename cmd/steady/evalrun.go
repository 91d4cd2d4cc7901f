package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/steady-voice/steady/eval"
)

func init() { evalSubcommands = append(evalSubcommands, (*app).evalRunCmd) }

func (a *app) evalRunCmd() *cobra.Command {
	var dataset, name string
	var concurrency int
	c := &cobra.Command{
		Use:   "run",
		Short: "Evaluate the agent over a dataset with the built-in scorers, and store the run",
		Long: `Runs every example of the dataset (JSONL; default: the built-in scenarios)
as the first turn of a fresh session with the engine --engine chooses, scores
each reply with the built-in scorers, prints the summary and stores the run
(steady eval list / show / compare read it). The evaluation's own user is
forgotten afterwards: an evaluation never leaves anything in memory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rows, err := readDataset(dataset)
			if err != nil {
				return err
			}
			return a.evalRun(cmd.Context(), rows, name, concurrency)
		},
	}
	c.Flags().StringVar(&dataset, "dataset", "", "JSONL dataset (default: the built-in scenarios)")
	c.Flags().StringVar(&name, "name", "", "a label for the run (default: the engine's name)")
	c.Flags().IntVar(&concurrency, "concurrency", 4, "examples run at once")
	return c
}

func readDataset(path string) ([]eval.Example, error) {
	if path == "" {
		return eval.Scenarios(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--dataset: %w", err)
	}
	defer f.Close()
	rows, err := eval.ReadDataset(f)
	if err != nil {
		return nil, fmt.Errorf("--dataset %s: %w", path, err)
	}
	return rows, nil
}

func (a *app) evalRun(ctx context.Context, rows []eval.Example, name string, concurrency int) error {
	if concurrency < 1 || concurrency > 64 {
		return fmt.Errorf("--concurrency %d: want 1 to 64", concurrency)
	}
	st, err := a.openAgent(ctx, 1, false)
	if err != nil {
		return err
	}
	defer st.close()
	runID := uuid.Must(uuid.NewV7()).String()
	user := "eval-" + runID
	if name == "" {
		name = st.agent.Engine()
	}
	e := eval.Evaluation{Dataset: rows, Scorers: eval.Builtin(), Concurrency: concurrency}
	bar := newProgress(a.stderr, "evaluating")
	run, err := e.Run(ctx, st.agent.EvalModel(user), eval.RunOptions{ID: runID, Name: name, Progress: bar.update})
	bar.done()
	if err != nil {
		return err
	}
	if err := st.recorder.Flush(ctx); err == nil {
		_, err = st.memory.Forget(ctx, user)
	}
	if err != nil {
		a.log.Warn("the evaluation's user was not forgotten", "user_id", user, "err", err)
	}
	if err := a.runStore().SaveRun(ctx, run); err != nil {
		return err
	}
	return a.show(run, func(w io.Writer) error { return printRun(w, run) })
}

// progress draws a bar on a terminal, and nothing elsewhere (logs and
// pipes want the result, not the animation).
type progress struct {
	w     io.Writer
	label string
	on    bool
}

func newProgress(w io.Writer, label string) *progress {
	f, ok := w.(*os.File)
	on := ok && isTerminal(f)
	return &progress{w: w, label: label, on: on}
}

func (p *progress) update(done, total int) {
	if !p.on || total == 0 {
		return
	}
	const width = 30
	n := done * width / total
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d", p.label, strings.Repeat("=", n), strings.Repeat(" ", width-n), done, total)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}
