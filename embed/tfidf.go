package embed

import (
	"context"
	"fmt"
	"math"
)

// TFIDF is the lexical baseline that the semantic embedders are measured
// against: a TF-IDF vector over a fixed corpus's vocabulary (sublinear term
// frequency 1+ln(tf), smoothed idf ln((1+N)/(1+df))+1, L2-normalised), using
// the same tokeniser as GloVe-SIF. Words outside the corpus are ignored, so
// a text with none of them gets the zero vector.
type TFIDF struct {
	vocab map[string]int
	idf   []float32
	name  string
}

var _ Embedder = (*TFIDF)(nil)

// NewTFIDF fits the vocabulary and document frequencies on corpus.
func NewTFIDF(corpus []string) *TFIDF {
	t := &TFIDF{vocab: map[string]int{}}
	var df []int
	for _, doc := range corpus {
		seen := map[int]bool{}
		for _, w := range Tokens(doc) {
			id, ok := t.vocab[w]
			if !ok {
				id = len(df)
				t.vocab[w] = id
				df = append(df, 0)
			}
			if !seen[id] {
				seen[id] = true
				df[id]++
			}
		}
	}
	t.idf = make([]float32, len(df))
	for i, d := range df {
		t.idf[i] = float32(math.Log(float64(1+len(corpus))/float64(1+d)) + 1)
	}
	t.name = fmt.Sprintf("tfidf/%dw", len(df))
	return t
}

// Name is "tfidf/<vocabulary size>w".
func (t *TFIDF) Name() string { return t.name }

// Dimensions is the size of the fitted vocabulary.
func (t *TFIDF) Dimensions() int { return len(t.idf) }

// Embed implements Embedder.
func (t *TFIDF) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ValidateBatch(ctx, texts); err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	for i, text := range texts {
		tf := map[int]int{}
		for _, w := range Tokens(text) {
			if id, ok := t.vocab[w]; ok {
				tf[id]++
			}
		}
		v := make([]float32, len(t.idf))
		for id, n := range tf {
			v[id] = (1 + float32(math.Log(float64(n)))) * t.idf[id]
		}
		Normalize(v)
		out[i] = v
	}
	return out, nil
}
