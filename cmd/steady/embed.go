package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/steady-voice/steady/embed"
)

func (a *app) embedCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "embed",
		Short: "Inspect and measure the embedders behind semantic memory",
	}
	c.AddCommand(a.embedEvalCmd(), a.embedVectorsCmd(), a.embedSimilarityCmd())
	return c
}

// embedder builds the configured embedder.
func (a *app) embedder(ctx context.Context) (embed.Embedder, error) {
	cfg := a.cfg.Embed
	cfg.APIKey = apiKey(cfg.Provider, a.getenv)
	return embed.New(ctx, cfg)
}

func (a *app) embedEvalCmd() *cobra.Command {
	var table string
	c := &cobra.Command{
		Use:   "eval",
		Short: "Measure retrieval quality on Steady's labelled utterances",
		Long: `Leave-one-out nearest-neighbour retrieval on the labelled utterances in
embed/testdata: for each utterance, are the most similar others about the
same situation? Prints recall@1, recall@5 and MRR for GloVe-SIF, for a
TF-IDF lexical baseline and, with --embedder openai|gemini, for that
embedder too. --table evaluates a GloVe table built with
embed/internal/mkglove instead of the embedded one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			results, err := a.evaluate(cmd.Context(), table)
			if err != nil {
				return err
			}
			return a.show(results, func(w io.Writer) error {
				fmt.Fprintf(w, "embedder\tdims\trecall@1\trecall@5\tMRR\n")
				for _, r := range results {
					fmt.Fprintf(w, "%s\t%d\t%.3f\t%.3f\t%.3f\n", r.Embedder, r.Dimensions, r.RecallAt1, r.RecallAt5, r.MRR)
				}
				fmt.Fprintf(w, "\n%d utterances, %d situations\n", results[0].Queries, situations())
				return nil
			})
		},
	}
	c.Flags().StringVar(&table, "table", "", "GloVe table file to evaluate instead of the embedded one")
	return c
}

type evalResult struct {
	embed.Retrieval
	Dimensions int `json:"dimensions"`
}

func (a *app) evaluate(ctx context.Context, table string) ([]evalResult, error) {
	set := embed.Utterances()
	texts := make([]string, len(set))
	for i, u := range set {
		texts[i] = u.Text
	}
	glove, err := loadGloVe(table)
	if err != nil {
		return nil, err
	}
	embedders := []embed.Embedder{glove, embed.NewTFIDF(texts)}
	if a.cfg.Embed.Provider != embed.ProviderGloVe {
		remote, err := a.embedder(ctx)
		if err != nil {
			return nil, err
		}
		embedders = append(embedders, remote)
	}
	var out []evalResult
	for _, e := range embedders {
		a.log.Debug("evaluating", "embedder", e.Name(), "utterances", len(set))
		r, err := embed.EvaluateRetrieval(ctx, e, set)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out = append(out, evalResult{r, e.Dimensions()})
	}
	return out, nil
}

// loadGloVe returns the embedded table, or the one in file if given.
func loadGloVe(file string) (*embed.GloVe, error) {
	if file == "" {
		return embed.NewGloVe()
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	g, err := embed.ParseGloVe(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return g, nil
}

func situations() int {
	seen := map[string]bool{}
	for _, u := range embed.Utterances() {
		seen[u.Situation] = true
	}
	return len(seen)
}

// vectorsBatch is how many lines are embedded per call: large enough to
// amortise a remote round trip, small enough to stream.
const vectorsBatch = 128

func (a *app) embedVectorsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "vectors",
		Short: "Embed one text per line of stdin; write JSON lines {text, vector}",
		Long: `Reads one text per line on standard input and writes one JSON object per
line, {"text": …, "vector": […]}, with the configured embedder. Blank lines
are skipped; a line longer than 64 KiB is an error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := a.tracedEmbedder(cmd.Context())
			if err != nil {
				return err
			}
			return a.streamVectors(cmd.Context(), e)
		},
	}
}

func (a *app) streamVectors(ctx context.Context, e embed.Embedder) error {
	sc := bufio.NewScanner(a.stdin)
	sc.Buffer(make([]byte, 0, 64<<10), embed.MaxTextBytes+1)
	out := bufio.NewWriter(a.stdout)
	enc := json.NewEncoder(out)
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		vecs, err := e.Embed(ctx, batch)
		if err != nil {
			return err
		}
		for i, v := range vecs {
			if err := enc.Encode(struct {
				Text   string    `json:"text"`
				Vector []float32 `json:"vector"`
			}{batch[i], v}); err != nil {
				return err
			}
		}
		batch = batch[:0]
		return out.Flush()
	}
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		batch = append(batch, sc.Text())
		if len(batch) == vectorsBatch {
			if err := flush(); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("a line is longer than %d bytes", embed.MaxTextBytes)
		}
		return err
	}
	return flush()
}

func (a *app) embedSimilarityCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "similarity A B",
		Short: "Print the cosine similarity of two texts",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.tracedEmbedder(cmd.Context())
			if err != nil {
				return err
			}
			vecs, err := e.Embed(cmd.Context(), args)
			if err != nil {
				return err
			}
			res := struct {
				A        string  `json:"a"`
				B        string  `json:"b"`
				Embedder string  `json:"embedder"`
				Cosine   float32 `json:"cosine"`
			}{args[0], args[1], e.Name(), embed.Cosine(vecs[0], vecs[1])}
			return a.show(res, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "%.4f\n", res.Cosine)
				return err
			})
		},
	}
}
