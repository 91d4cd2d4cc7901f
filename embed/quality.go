package embed

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Labelled is an utterance with the situation it describes.
type Labelled struct {
	Situation string `json:"situation"`
	Text      string `json:"text"`
}

//go:embed testdata/utterances.tsv
var utterancesTSV string

// Utterances returns Steady's labelled evaluation set: short things people
// with ADHD or autism say to a support assistant, each labelled with its
// situation (overwhelm, sensory_overload, task_paralysis, …).
func Utterances() []Labelled {
	set, err := ParseLabelled(strings.NewReader(utterancesTSV))
	if err != nil {
		panic("embed: the embedded utterance set is damaged: " + err.Error())
	}
	return set
}

// ParseLabelled reads a tab-separated set with the header
// "situation<TAB>text" and one utterance per line.
func ParseLabelled(r io.Reader) ([]Labelled, error) {
	sc := bufio.NewScanner(r)
	var set []Labelled
	for line := 1; sc.Scan(); line++ {
		if line == 1 {
			if sc.Text() != "situation\ttext" {
				return nil, fmt.Errorf("line 1: header %q, want %q", sc.Text(), "situation\ttext")
			}
			continue
		}
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		situation, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok || strings.TrimSpace(situation) == "" || strings.TrimSpace(text) == "" || strings.ContainsAny(text, "\t\r") {
			return nil, fmt.Errorf("line %d: want situation<TAB>text", line)
		}
		set = append(set, Labelled{Situation: situation, Text: text})
	}
	return set, sc.Err()
}

// Retrieval is the quality of an embedder at finding, for each utterance,
// another utterance of the same situation (leave-one-out nearest neighbour).
type Retrieval struct {
	Embedder  string  `json:"embedder"`
	Queries   int     `json:"queries"`
	RecallAt1 float64 `json:"recall_at_1"` // the nearest neighbour has the same label
	RecallAt5 float64 `json:"recall_at_5"` // one of the 5 nearest has the same label
	MRR       float64 `json:"mrr"`         // mean of 1/rank of the first same-label neighbour
}

// EvaluateRetrieval embeds every utterance of set with e and ranks all the
// others against it by cosine similarity. Each utterance must have at least
// one other of its situation in the set.
func EvaluateRetrieval(ctx context.Context, e Embedder, set []Labelled) (Retrieval, error) {
	if len(set) < 2 {
		return Retrieval{}, fmt.Errorf("evaluate: need at least 2 utterances, got %d", len(set))
	}
	texts := make([]string, len(set))
	for i, u := range set {
		texts[i] = u.Text
	}
	vecs, err := embedAll(ctx, e, texts)
	if err != nil {
		return Retrieval{}, err
	}
	r := Retrieval{Embedder: e.Name(), Queries: len(set)}
	for q := range set {
		rank := firstRelevantRank(vecs, set, q)
		if rank == 0 {
			return Retrieval{}, fmt.Errorf("evaluate: %q is the only utterance of %q", set[q].Text, set[q].Situation)
		}
		r.MRR += 1 / float64(rank)
		if rank == 1 {
			r.RecallAt1++
		}
		if rank <= 5 {
			r.RecallAt5++
		}
	}
	n := float64(len(set))
	r.RecallAt1, r.RecallAt5, r.MRR = r.RecallAt1/n, r.RecallAt5/n, r.MRR/n
	return r, nil
}

// embedAll embeds texts in batches of at most MaxBatch.
func embedAll(ctx context.Context, e Embedder, texts []string) ([][]float32, error) {
	var out [][]float32
	for start := 0; start < len(texts); start += MaxBatch {
		end := min(start+MaxBatch, len(texts))
		v, err := e.Embed(ctx, texts[start:end])
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
	}
	return out, nil
}

// firstRelevantRank is the 1-based rank of the best-ranked other utterance
// with q's label, or 0 if there is none. Ties are broken against the query:
// an equally similar utterance of another label ranks first.
func firstRelevantRank(vecs [][]float32, set []Labelled, q int) int {
	type cand struct {
		sim      float32
		relevant bool
	}
	var cands []cand
	for i := range set {
		if i != q {
			cands = append(cands, cand{Cosine(vecs[q], vecs[i]), set[i].Situation == set[q].Situation})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].sim != cands[j].sim {
			return cands[i].sim > cands[j].sim
		}
		return !cands[i].relevant && cands[j].relevant
	})
	for i, c := range cands {
		if c.relevant {
			return i + 1
		}
	}
	return 0
}
