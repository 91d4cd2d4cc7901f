package agent

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/steady-voice/steady/agent/data"
	"github.com/steady-voice/steady/embed"
)

// classifier labels a text by its nearest labelled examples: the k most
// similar vote, each with its similarity, so one close example outweighs
// several loose ones. It needs no training beyond embedding the examples,
// works with any embedder, and its mistakes can be read off the examples.
//
// Similarity blends the embedder's cosine with a lexical (TF-IDF) cosine
// fitted on the examples: averaged word vectors blur situations that share
// a mood but not a need ("too loud" vs "too much"), and the words people
// use for a need are telling. Leave-one-out over the situation examples
// (449, 15 situations) with the GloVe embedder: semantic only 0.47–0.49,
// lexical only 0.57–0.58, blended at lexicalWeight 0.7 and k = 15 0.63.
type classifier struct {
	negation bool // mark negated words on the lexical side (see markNegation)
	labels   []string
	vecs     [][]float32
	lexical  *embed.TFIDF
	lexVecs  []sparse // an utterance has a handful of the vocabulary's words
	k        int
}

// lexicalWeight is the lexical cosine's share of the blended similarity.
const lexicalWeight = 0.7

// vote is a classification: the winning label and its share of the votes.
type vote struct {
	Label      string
	Confidence float64 // the label's share of the similarity mass, 0–1
	Similarity float64 // of the closest example with that label
}

func newClassifier(ctx context.Context, e embed.Embedder, examples []data.Example, k int, negation bool) (*classifier, error) {
	texts := make([]string, len(examples))
	c := &classifier{labels: make([]string, len(examples)), k: k, negation: negation}
	for i, ex := range examples {
		texts[i], c.labels[i] = ex.Text, ex.Label
	}
	for start := 0; start < len(texts); start += embed.MaxBatch {
		vecs, err := e.Embed(ctx, texts[start:min(start+embed.MaxBatch, len(texts))])
		if err != nil {
			return nil, fmt.Errorf("agent: embedding labelled examples: %w", err)
		}
		c.vecs = append(c.vecs, vecs...)
	}
	lexTexts := make([]string, len(texts))
	for i, t := range texts {
		lexTexts[i] = c.lexicalText(t)
	}
	c.lexical = embed.NewTFIDF(lexTexts)
	dense, err := c.lexical.Embed(ctx, lexTexts)
	for _, v := range dense {
		c.lexVecs = append(c.lexVecs, toSparse(v))
	}
	return c, err
}

// sparse is a vector by its non-zero entries.
type sparse struct {
	idx []int32
	val []float32
}

func toSparse(v []float32) sparse {
	var s sparse
	for i, x := range v {
		if x != 0 {
			s.idx, s.val = append(s.idx, int32(i)), append(s.val, x)
		}
	}
	return s
}

func (s sparse) dot(dense []float32) float32 {
	var sum float32
	for i, j := range s.idx {
		sum += s.val[i] * dense[j]
	}
	return sum
}

type neighbour struct {
	i   int
	sim float64
}

// classify returns the winning label for text, whose vector vec comes
// from the same embedder. A text with no known word gets no label.
func (c *classifier) classify(text string, vec []float32) vote {
	return c.classifyExcept(text, vec, -1)
}

// classifyExcept classifies without example skip (for leave-one-out).
func (c *classifier) classifyExcept(text string, vec []float32, skip int) vote {
	lex, err := c.lexical.Embed(context.Background(), []string{c.lexicalText(text)})
	if err != nil || isZero(vec) && isZero(lex[0]) {
		return vote{}
	}
	top := c.nearest(vec, lex[0], skip)
	mass := map[string]float64{}
	best := map[string]float64{}
	total := 0.0
	for _, n := range top {
		w := max(n.sim, 0)
		mass[c.labels[n.i]] += w
		total += w
		best[c.labels[n.i]] = max(best[c.labels[n.i]], n.sim)
	}
	var v vote
	for label, m := range mass {
		// Ties go to the label with the closer example, then by name, so
		// the result never depends on map order.
		if m > v.Confidence || (m == v.Confidence && (best[label] > v.Similarity ||
			best[label] == v.Similarity && label < v.Label)) {
			v = vote{Label: label, Confidence: m, Similarity: best[label]}
		}
	}
	if total > 0 {
		v.Confidence /= total
	}
	return v
}

func (c *classifier) nearest(vec, lex []float32, skip int) []neighbour {
	top := make([]neighbour, 0, c.k+1)
	for i, v := range c.vecs {
		if i == skip {
			continue
		}
		s := (1-lexicalWeight)*float64(embed.Dot(vec, v)) + lexicalWeight*float64(c.lexVecs[i].dot(lex))
		if len(top) == c.k && s <= top[len(top)-1].sim {
			continue
		}
		at, _ := slices.BinarySearchFunc(top, s, func(n neighbour, s float64) int {
			if n.sim > s {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, at, neighbour{i, s})
		if len(top) > c.k {
			top = top[:c.k]
		}
	}
	return top
}

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

func (c *classifier) lexicalText(text string) string {
	if !c.negation {
		return text
	}
	return markNegation(text)
}

// negationScope is how many words after a negation it reverses.
const negationScope = 3

// negators start a negation; the tokenizer has already expanded "didn't"
// to "did not" and "can't" to "can not".
var negators = map[string]bool{"not": true, "no": true, "never": true, "nothing": true, "nor": true}

// markNegation glues "not" onto the words a negation reverses, up to the
// end of the clause or negationScope words, so that for word counts "that
// did not help" no longer looks like "that helped": it becomes "that did
// not nothelp". (The usual remedy for bag-of-words sentiment: Das and
// Chen 2001, Pang, Lee and Vaithyanathan 2002.) Averaged word vectors are
// left alone: they carry the mood, the marked words the polarity.
func markNegation(text string) string {
	var b strings.Builder
	for _, clause := range clauseRE.Split(text, -1) {
		left := 0
		for _, tok := range embed.Tokens(clause) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			switch {
			case negators[tok]:
				b.WriteString(tok)
				left = negationScope
			case left > 0:
				b.WriteString("not" + tok)
				left--
			default:
				b.WriteString(tok)
			}
		}
	}
	return b.String()
}

// clauseRE splits a sentence where a negation's scope ends.
var clauseRE = regexp.MustCompile(`(?i)[,.;:!?()]+|\s+(?:but|although|though|however|and then|so)\s+`)

// maxClauses bounds the clauses of an utterance looked at: a reply to
// the last tool comes first, and a long monologue costs no more.
const maxClauses = 8

// clauses splits an utterance into its first clauses, or returns nil when
// it has only one.
func clauses(text string) []string {
	var out []string
	for _, c := range clauseRE.Split(text, -1) {
		if c = strings.TrimSpace(c); c != "" && len(out) < maxClauses {
			out = append(out, c)
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// classifyClauses labels an utterance by its most confidently labelled
// clause. A reply to a tool often says two things — how it went and what
// is going on now ("that didn't help, I'm still exhausted") — and the
// second half, taken together with the first, can outvote it. vecs are
// the clauses' vectors.
func (c *classifier) classifyClauses(parts []string, vecs [][]float32) vote {
	var best vote
	for i, p := range parts {
		if v := c.classify(p, vecs[i]); v.Confidence > best.Confidence {
			best = v
		}
	}
	return best
}
