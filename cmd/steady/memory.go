package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/memory"
)

func (a *app) memoryCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "memory",
		Short: "Read and write the memory layer: interventions, reflections, profiles",
		Long: `Every operation of the memory layer, on the embedded store under --data
or on Redis with --redis. Results print as tables, or JSON with --json.`,
	}
	c.AddCommand(a.memRecordCmd(), a.memSearchCmd(), a.memOutcomeCmd(), a.memListCmd(),
		a.memReflectCmd(), a.memReflectionsCmd(), a.memProfileCmd(), a.memContextCmd(),
		a.memStatsCmd(), a.memForgetCmd())
	return c
}

// withMemory runs fn with an open memory service, closing it afterwards.
func (a *app) withMemory(cmd *cobra.Command, fn func(svc *memory.Service) error) error {
	svc, closeFn, err := a.memoryService(cmd.Context())
	if err != nil {
		return err
	}
	defer closeFn()
	return fn(svc)
}

func (a *app) memRecordCmd() *cobra.Command {
	var iv memory.Intervention
	var outcome, category string
	var scores []string
	c := &cobra.Command{
		Use:   "record",
		Short: "Record an intervention (what the user said, what the agent did)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if iv.Scores, err = parseScores(scores); err != nil {
				return err
			}
			iv.Outcome, iv.Category = memory.Outcome(outcome), memory.Category(category)
			if iv.Category == "" {
				iv.Category = memory.Category(eval.ToolCategory(iv.Tool))
			}
			return a.withMemory(cmd, func(svc *memory.Service) error {
				got, err := svc.Record(cmd.Context(), iv)
				if err != nil {
					return err
				}
				got.Embedding = nil
				return a.show(got, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "recorded %s (expires %s)\n", got.ID, got.ExpiresAt.Format(time.DateTime))
					return err
				})
			})
		},
	}
	f := c.Flags()
	f.StringVar(&iv.UserID, "user", "", "user id (required)")
	f.StringVar(&iv.SessionID, "session", "", "session id (required)")
	f.StringVar(&iv.Tool, "tool", "", "support tool used, e.g. start_breathing_exercise (required)")
	f.StringVar(&category, "category", "", "task, feedback or emotional (default: the tool's)")
	f.StringVar(&iv.Context, "context", "", "what the user said or their situation (required)")
	f.StringVar(&iv.Text, "text", "", "what the agent did or said")
	f.StringVar(&iv.Task, "task", "", "the task at hand")
	f.StringVar(&outcome, "outcome", "pending", "outcome: "+outcomeList())
	f.StringArrayVar(&scores, "score", nil, "a score as name=value, e.g. effectiveness=0.8 (repeatable)")
	markRequired(c, "user", "session", "tool", "context")
	return c
}

func (a *app) memSearchCmd() *cobra.Command {
	var user string
	var q memory.Query
	c := &cobra.Command{
		Use:   "search",
		Short: "Find a user's past interventions similar to a text",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if q.K < 1 || q.K > memory.MaxK {
				return fmt.Errorf("--k %d: want 1–%d", q.K, memory.MaxK)
			}
			return a.withMemory(cmd, func(svc *memory.Service) error {
				matches, err := svc.Search(cmd.Context(), user, q)
				if err != nil {
					return err
				}
				for i := range matches {
					matches[i].Embedding = nil
				}
				return a.show(matches, func(w io.Writer) error {
					fmt.Fprintln(w, "similarity\ttool\toutcome\tcontext\tid")
					for _, m := range matches {
						fmt.Fprintf(w, "%.3f\t%s\t%s\t%s\t%s\n", m.Similarity, m.Tool, m.Outcome, short(m.Context, 50), m.ID)
					}
					return nil
				})
			})
		},
	}
	f := c.Flags()
	f.StringVar(&user, "user", "", "user id (required)")
	f.StringVar(&q.Text, "query", "", "the situation to search for (required)")
	f.IntVar(&q.K, "k", 3, "how many to return (1–100)")
	f.BoolVar(&q.AllOutcomes, "all-outcomes", false, "include interventions that did not succeed")
	f.StringVar(&q.Tool, "tool", "", "only this tool")
	f.Float64Var(&q.MinSimilarity, "min-similarity", 0, "least cosine similarity (-1 to 1)")
	markRequired(c, "user", "query")
	return c
}

func (a *app) memOutcomeCmd() *cobra.Command {
	var user, id, outcome string
	var scores []string
	c := &cobra.Command{
		Use:   "outcome",
		Short: "Set an intervention's outcome and scores",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc, err := parseScores(scores)
			if err != nil {
				return err
			}
			return a.withMemory(cmd, func(svc *memory.Service) error {
				iv, err := svc.SetOutcome(cmd.Context(), user, id, memory.Outcome(outcome), sc)
				if err != nil {
					return err
				}
				iv.Embedding = nil
				return a.show(iv, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "%s: %s %v\n", iv.ID, iv.Outcome, iv.Scores)
					return err
				})
			})
		},
	}
	f := c.Flags()
	f.StringVar(&user, "user", "", "user id (required)")
	f.StringVar(&id, "id", "", "intervention id (required)")
	f.StringVar(&outcome, "outcome", "", "outcome: "+outcomeList()+" (required)")
	f.StringArrayVar(&scores, "score", nil, "a score as name=value (repeatable)")
	markRequired(c, "user", "id", "outcome")
	return c
}

func (a *app) memListCmd() *cobra.Command {
	var user, cursor string
	var limit int
	c := &cobra.Command{
		Use:   "list",
		Short: "List a user's interventions, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withMemory(cmd, func(svc *memory.Service) error {
				page, next, err := svc.Interventions(cmd.Context(), user, cursor, limit)
				if err != nil {
					return err
				}
				for i := range page {
					page[i].Embedding = nil
				}
				res := struct {
					Interventions []memory.Intervention `json:"interventions"`
					Next          string                `json:"next,omitempty"`
				}{page, next}
				return a.show(res, func(w io.Writer) error {
					fmt.Fprintln(w, "created\ttool\toutcome\tcontext\tid")
					for _, iv := range page {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", iv.CreatedAt.Format(time.DateTime), iv.Tool, iv.Outcome, short(iv.Context, 50), iv.ID)
					}
					if next != "" {
						fmt.Fprintf(w, "\nmore: --cursor %s\n", next)
					}
					return nil
				})
			})
		},
	}
	f := c.Flags()
	f.StringVar(&user, "user", "", "user id (required)")
	f.StringVar(&cursor, "cursor", "", "continue after a previous page")
	f.IntVar(&limit, "limit", 20, "interventions per page (1–100)")
	markRequired(c, "user")
	return c
}

func parseScores(pairs []string) (map[string]float64, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]float64{}
	for _, p := range pairs {
		name, val, ok := strings.Cut(p, "=")
		v, err := strconv.ParseFloat(val, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("--score %q: want name=number", p)
		}
		out[name] = v
	}
	return out, nil
}

func outcomeList() string {
	var s []string
	for _, o := range memory.Outcomes {
		s = append(s, string(o))
	}
	return strings.Join(s, ", ")
}

func markRequired(c *cobra.Command, names ...string) {
	for _, n := range names {
		if err := c.MarkFlagRequired(n); err != nil {
			panic(err) // a flag name typo: a programming error
		}
	}
}

// short folds s to one line of at most n characters, for tables.
func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
