package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/eval/evalstore"
	"github.com/steady-voice/steady/observe/tracestore"
)

func (a *app) tracesCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "traces",
		Short: "Read the traced calls in the embedded trace store (traces.db under --data)",
	}
	c.AddCommand(a.tracesListCmd(), a.tracesShowCmd(), a.tracesStatsCmd(), a.tracesFeedbackCmd(), a.tracesScoreCmd())
	return c
}

func (a *app) tracesListCmd() *cobra.Command {
	var f tracestore.Filter
	var attrs []string
	var since time.Duration
	var errorsOnly bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List calls, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if f.Attrs, err = parsePairs("--attr", attrs); err != nil {
				return err
			}
			if since > 0 {
				f.Since = time.Now().Add(-since)
			}
			if errorsOnly {
				f.Status = "error"
			}
			calls, err := a.traces.Calls(cmd.Context(), f)
			if err != nil {
				return err
			}
			return a.show(calls, func(w io.Writer) error {
				fmt.Fprintln(w, "start\top\tstatus\tlatency\tuser\ttrace\tcall")
				for _, c := range calls {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Start.Local().Format(time.DateTime), c.Op, c.Status,
						roundLatency(c.Latency), orDash(c.UserID), c.TraceID, c.CallID)
				}
				return nil
			})
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.Op, "op", "", "only this op, e.g. memory.search")
	fl.StringArrayVar(&attrs, "attr", nil, "only calls with this attribute, key=value (repeatable), e.g. user.id=ana")
	fl.StringVar(&f.Status, "status", "", "ok or error")
	fl.BoolVar(&errorsOnly, "errors", false, "only calls that failed (same as --status error)")
	fl.DurationVar(&since, "since", 0, "only calls that started within this long, e.g. 1h")
	fl.StringVar(&f.TraceID, "trace", "", "only calls of this trace")
	fl.IntVar(&f.Limit, "limit", 50, "at most this many (1–1000)")
	return c
}

func (a *app) tracesShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show TRACE_ID",
		Short: "Show a trace as an indented tree of calls with latency and status",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			calls, err := a.traces.Trace(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.show(calls, func(w io.Writer) error { return printTree(w, calls) })
		},
	}
}

// printTree prints calls, parents before children, indented by depth.
func printTree(w io.Writer, calls []tracestore.Call) error {
	depth := map[string]int{}
	for _, c := range calls {
		d := 0
		if p, ok := depth[c.ParentID]; ok {
			d = p + 1
		}
		depth[c.CallID] = d
		status := c.Status
		if c.Error != "" {
			status += ": " + short(c.Error, 60)
		}
		fmt.Fprintf(w, "%s%s\t%s\t%s\n", strings.Repeat("  ", d), c.Op, roundLatency(c.Latency), status)
	}
	return nil
}

func (a *app) tracesStatsCmd() *cobra.Command {
	var since time.Duration
	c := &cobra.Command{
		Use:   "stats",
		Short: "Per-op count, error rate and p50/p95/p99 latency",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stats, err := a.traces.OpStats(cmd.Context(), time.Now().Add(-since))
			if err != nil {
				return err
			}
			return a.show(stats, func(w io.Writer) error {
				fmt.Fprintln(w, "op\tcalls\terror rate\tp50\tp95\tp99")
				for _, s := range stats {
					fmt.Fprintf(w, "%s\t%d\t%.1f%%\t%s\t%s\t%s\n", s.Op, s.Count, 100*s.ErrorRate,
						roundLatency(s.P50), roundLatency(s.P95), roundLatency(s.P99))
				}
				return nil
			})
		},
	}
	c.Flags().DurationVar(&since, "since", 24*time.Hour, "window, e.g. 1h or 168h")
	return c
}

func (a *app) tracesFeedbackCmd() *cobra.Command {
	var fb tracestore.Feedback
	var scores []string
	c := &cobra.Command{
		Use:   "feedback CALL_ID",
		Short: "Add feedback to a call: a reaction (👍 or 👎), a note, scores",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if fb.Scores, err = parseScores(scores); err != nil {
				return err
			}
			got, err := a.traces.AddFeedback(cmd.Context(), args[0], fb)
			if err != nil {
				return err
			}
			return a.show(got, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "feedback %s on %s\n", got.ID, got.CallID)
				return err
			})
		},
	}
	c.Flags().StringVar(&fb.Reaction, "reaction", "", "👍 or 👎")
	c.Flags().StringVar(&fb.Note, "note", "", "a note (at most 2 KiB)")
	c.Flags().StringArrayVar(&scores, "score", nil, "a score as name=value (repeatable)")
	return c
}

// scoreReport is what `traces score` prints: the scorer's whole result and
// the scores it stored as feedback on the call.
type scoreReport struct {
	CallID string             `json:"call_id"`
	Scorer string             `json:"scorer"`
	Result eval.Result        `json:"result"`
	Scores map[string]float64 `json:"scores"`
}

func (a *app) tracesScoreCmd() *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:   "score CALL_ID",
		Short: "Score a finished call with a built-in scorer and keep the scores as feedback on it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := scorerByName(name)
			if err != nil {
				return err
			}
			res, err := evalstore.ScoreCall(cmd.Context(), a.traces, args[0], s, evalstore.DefaultConverter)
			if err != nil {
				return err
			}
			r := scoreReport{CallID: args[0], Scorer: s.Name(), Result: res, Scores: map[string]float64{}}
			for k, v := range res.Flatten() {
				r.Scores[s.Name()+"."+k] = v // the names ScoreCall stored them under
			}
			return a.show(r, func(w io.Writer) error { return printScores(w, r.Scores) })
		},
	}
	c.Flags().StringVar(&name, "scorer", "", "the built-in scorer to run, e.g. effectiveness or brevity")
	return c
}

func printScores(w io.Writer, scores map[string]float64) error {
	fmt.Fprintln(w, "score\tvalue")
	for _, k := range slices.Sorted(maps.Keys(scores)) {
		fmt.Fprintf(w, "%s\t%s\n", k, figure(scores[k]))
	}
	return nil
}

func roundLatency(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

func parsePairs(flag string, pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: want key=value", flag, p)
		}
		out[k] = v
	}
	return out, nil
}
