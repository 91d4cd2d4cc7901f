package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"
	"unicode"
)

// Defaults, chosen by measurement (see docs/EMBEDDINGS.md).
const (
	defaultWords = 100_000
	defaultA     = 1e-3 // Arora et al. 2017 recommend 1e-4 … 1e-3
	defaultLen   = 10
	defaultABTT  = 0
)

const magic = "STEADYGV"

type table struct {
	dims  int
	a     float64
	pc    []float64 // unit common-discourse direction
	coef  []float32 // per word: SIF weight × quantisation scale
	vecs  []int8    // len(words) × dims
	words []string
}

// build selects, weighs and quantises the words and estimates the common
// component.
func build(w *winkFile, keep int, a float64, utterance, abtt int) (*table, error) {
	if w.Dimensions <= 0 || len(w.Words) == 0 {
		return nil, fmt.Errorf("package has no words or dimensions")
	}
	t := &table{dims: w.Dimensions, a: a}
	zipf := harmonic(len(w.Words))
	var kept [][]float64
	var ranks []int
	for rank, word := range w.Words {
		if len(t.words) == keep {
			break
		}
		v, ok := w.Vectors[word]
		if !ok || len(v) < t.dims || !tokenisable(word) {
			continue
		}
		t.words = append(t.words, word)
		kept = append(kept, v[:t.dims])
		ranks = append(ranks, rank)
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("no word kept (keep = %d)", keep)
	}
	if abtt > 0 {
		kept = allButTheTop(kept, abtt)
	}
	var raw [][]float64
	var probs []float64
	for i, v := range kept {
		// Zipf's law turns the corpus-frequency rank into p(w).
		p := 1 / (float64(ranks[i]+1) * zipf)
		weight := a / (a + p)
		scale, q := quantise(v)
		t.coef = append(t.coef, float32(weight*scale))
		t.vecs = append(t.vecs, q...)
		raw = append(raw, dequantise(q, weight*scale))
		probs = append(probs, p)
	}
	t.pc = commonComponent(raw, probs, utterance)
	return t, nil
}

func harmonic(n int) float64 {
	var h float64
	for i := 1; i <= n; i++ {
		h += 1 / float64(i)
	}
	return h
}

// tokenisable reports whether the tokeniser can ever emit word: lower-case
// letters only (it splits on everything else).
func tokenisable(word string) bool {
	if word == "" || strings.ContainsRune(word, '\n') {
		return false
	}
	for _, r := range word {
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) || unicode.ToLower(r) != r {
			return false
		}
	}
	return true
}

// quantise maps v to int8 with one symmetric scale per vector.
func quantise(v []float64) (float64, []int8) {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	q := make([]int8, len(v))
	if m == 0 {
		return 0, q
	}
	scale := m / 127
	for i, x := range v {
		q[i] = int8(math.Round(x / scale))
	}
	return scale, q
}

func dequantise(q []int8, coef float64) []float64 {
	out := make([]float64, len(q))
	for i, x := range q {
		out[i] = float64(x) * coef
	}
	return out
}

// commonComponent estimates the first principal component of SIF sentence
// vectors without a sentence corpus. For a sentence of n words drawn from
// the unigram distribution p, the sentence vector s = (1/n) Σ x_w (x_w the
// weighted word vector) has second moment
//
//	E[s sᵀ] = (1/n) E[x xᵀ] + (1 − 1/n) μ μᵀ,  μ = E[x],
//
// and its top eigenvector is the direction Arora et al. remove (they take
// the first singular vector of the uncentred sentence matrix).
func commonComponent(x [][]float64, p []float64, n int) []float64 {
	d := len(x[0])
	var total float64
	for _, pi := range p {
		total += pi
	}
	mu := make([]float64, d)
	m := make([]float64, d*d)
	for k, v := range x {
		pk := p[k] / total
		for i := range d {
			mu[i] += pk * v[i]
			for j := range d {
				m[i*d+j] += pk * v[i] * v[j] / float64(n)
			}
		}
	}
	for i := range d {
		for j := range d {
			m[i*d+j] += (1 - 1/float64(n)) * mu[i] * mu[j]
		}
	}
	return topEigenvector(m, d)
}

// topEigenvector finds the dominant eigenvector of the symmetric d×d matrix
// m by power iteration.
func topEigenvector(m []float64, d int) []float64 {
	v := make([]float64, d)
	for i := range v {
		v[i] = 1 / math.Sqrt(float64(d))
	}
	next := make([]float64, d)
	for range 1000 {
		for i := range d {
			next[i] = 0
			for j := range d {
				next[i] += m[i*d+j] * v[j]
			}
		}
		norm := math.Sqrt(dot(next, next))
		delta := 0.0
		for i := range d {
			next[i] /= norm
			delta += math.Abs(next[i] - v[i])
		}
		v, next = next, v
		if delta < 1e-12 {
			break
		}
	}
	return v
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// write emits the table: all numbers little-endian, then a CRC-32 (IEEE)
// of everything before it.
func (t *table) write(w io.Writer) error {
	crc := crc32.NewIEEE()
	bw := bufio.NewWriter(io.MultiWriter(w, crc))
	blob := strings.Join(t.words, "\n")
	le := binary.LittleEndian
	put := func(v any) { _ = binary.Write(bw, le, v) }
	bw.WriteString(magic)
	put(uint32(1))
	put(uint32(t.dims))
	put(uint32(len(t.words)))
	put(float32(t.a))
	for _, x := range t.pc {
		put(float32(x))
	}
	put(t.coef)
	put(t.vecs)
	put(uint32(len(blob)))
	bw.WriteString(blob)
	if err := bw.Flush(); err != nil {
		return err
	}
	return binary.Write(w, le, crc.Sum32())
}

// allButTheTop post-processes word vectors as Mu and Viswanath ("All-but-
// the-Top: Simple and Effective Postprocessing for Word Representations",
// 2018) propose: subtract the mean vector, then remove the projections on
// the top d principal components, which encode word frequency rather than
// meaning.
func allButTheTop(vs [][]float64, d int) [][]float64 {
	dims := len(vs[0])
	mean := make([]float64, dims)
	for _, v := range vs {
		for i, x := range v {
			mean[i] += x / float64(len(vs))
		}
	}
	out := make([][]float64, len(vs))
	cov := make([]float64, dims*dims)
	for k, v := range vs {
		c := make([]float64, dims)
		for i := range c {
			c[i] = v[i] - mean[i]
		}
		out[k] = c
		for i := range dims {
			for j := range dims {
				cov[i*dims+j] += c[i] * c[j]
			}
		}
	}
	for range d {
		u := topEigenvector(cov, dims)
		lambda := 0.0
		for i := range dims {
			for j := range dims {
				lambda += u[i] * cov[i*dims+j] * u[j]
			}
		}
		for i := range dims { // deflate: the next call finds the next component
			for j := range dims {
				cov[i*dims+j] -= lambda * u[i] * u[j]
			}
		}
		for _, c := range out {
			p := dot(c, u)
			for i := range c {
				c[i] -= p * u[i]
			}
		}
	}
	return out
}
