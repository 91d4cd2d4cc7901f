package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/steady-voice/steady/embed"
)

// fixture is a miniature of the npm package: eight words in corpus order,
// each vector followed by the two numbers the package appends (L2 norm,
// word index), which build must not mistake for dimensions.
func fixture() *winkFile {
	return &winkFile{
		Dimensions: 4,
		Words:      []string{"the", "Paris", "calm", "don't", "ghost", "tired", "2020", "focus"},
		Vectors: map[string][]float64{
			"the":   {0.5, 0.25, -0.25, 0.1, 0.62, 0},
			"Paris": {0.3, 0.3, 0.3, 0.3, 0.6, 1},
			"calm":  {1.27, -0.5, 0.25, 0, 1.39, 2},
			"don't": {-0.2, 0.4, 0.1, 0.9, 1.01, 3},
			"ghost": {0.7, 0.1}, // shorter than Dimensions: unusable
			"tired": {-0.3, 0.8, 0.6, -0.4, 1.11, 5},
			"2020":  {0.1, 0.1, 0.1, 0.1, 0.2, 6},
			"focus": {0.2, -0.9, 0.4, 0.7, 1.23, 7},
		},
	}
}

// ranks are the fixture's corpus ranks of the words build may keep.
var ranks = map[string]int{"the": 0, "calm": 2, "tired": 5, "focus": 7}

func TestTokenisable(t *testing.T) {
	tests := []struct {
		word string
		want bool
	}{
		{"calm", true},
		{"café", true},
		{"überfordert", true},
		{"naı̈ve", true}, // combining diaeresis (Mn) inside a word
		{"", false},
		{"Paris", false},
		{"ÜBER", false},
		{"don't", false},
		{"don’t", false},
		{"co-op", false},
		{"2020", false},
		{"mp3", false},
		{",", false},
		{"hello!", false},
		{"calm\nfocus", false},
		{"calm\n", false},
		{"two words", false},
	}
	for _, tc := range tests {
		t.Run(tc.word, func(t *testing.T) {
			if got := tokenisable(tc.word); got != tc.want {
				t.Errorf("tokenisable(%q) = %v, want %v", tc.word, got, tc.want)
			}
		})
	}
}

func TestQuantiseRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		v    []float64
	}{
		{"mixed signs", []float64{1.27, -0.5, 0.25, 0}},
		{"negative extreme", []float64{-3, 1, 0.001, 2.9, -2.999, 0.5, 1.5, -1.5}},
		{"tiny values", []float64{1e-9, -3e-10, 0, 5e-10}},
		{"one component", []float64{42}},
		{"zero vector", []float64{0, 0, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scale, q := quantise(tc.v)
			if len(q) != len(tc.v) {
				t.Fatalf("len(q) = %d, want %d", len(q), len(tc.v))
			}
			back := dequantise(q, scale)
			for i, x := range tc.v {
				// 1e-12 relative slack for the float64 division in quantise.
				if err := math.Abs(back[i] - x); err > scale/2*(1+1e-12) {
					t.Errorf("component %d: %v → %d → %v, error %g, want ≤ scale/2 = %g", i, x, q[i], back[i], err, scale/2)
				}
			}
			if maxAbs(tc.v) == 0 && (scale != 0 || slices.ContainsFunc(q, func(x int8) bool { return x != 0 })) {
				t.Errorf("zero vector: scale %v, q %v; want 0 and all zeros", scale, q)
			}
		})
	}
}

func TestBuildKeepsTokenisableWordsInRankOrder(t *testing.T) {
	tests := []struct {
		keep int
		want []string
	}{
		{1, []string{"the"}},
		{2, []string{"the", "calm"}},
		{3, []string{"the", "calm", "tired"}},
		{4, []string{"the", "calm", "tired", "focus"}},
		{100, []string{"the", "calm", "tired", "focus"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.want, ","), func(t *testing.T) {
			const a = 0.1
			w := fixture()
			tab := buildTable(t, w, tc.keep, a)
			if !slices.Equal(tab.words, tc.want) {
				t.Fatalf("words = %q, want %q", tab.words, tc.want)
			}
			if len(tab.coef) != len(tc.want) || len(tab.vecs) != len(tc.want)*w.Dimensions || len(tab.pc) != w.Dimensions {
				t.Fatalf("len(coef), len(vecs), len(pc) = %d, %d, %d; want %d, %d, %d",
					len(tab.coef), len(tab.vecs), len(tab.pc), len(tc.want), len(tc.want)*w.Dimensions, w.Dimensions)
			}
			for i, word := range tab.words {
				checkRow(t, tab, i, sifWeight(a, ranks[word], len(w.Words)), w.Vectors[word][:w.Dimensions])
			}
		})
	}
}

// TestBuildSIFCoefficient checks one coefficient against a value worked out
// by hand, so that the test does not share a formula with the code.
func TestBuildSIFCoefficient(t *testing.T) {
	tab := buildTable(t, fixture(), 3, 0.1)
	// "calm" has rank 2 of 8 words: H₈ = 761/280, p = 1/(3·H₈) = 280/2283,
	// weight = 0.1/(0.1 + 280/2283) = 228.3/508.3; its largest component,
	// 1.27, makes the int8 scale 1.27/127 = 0.01.
	want := 228.3 / 508.3 * 0.01
	if got := float64(tab.coef[1]); math.Abs(got-want) > 1e-7*want {
		t.Errorf("coef(calm) = %.10g, want %.10g", got, want)
	}
}

func TestBuildRejectsAnEmptyPackage(t *testing.T) {
	tests := []struct {
		name string
		w    *winkFile
	}{
		{"no dimensions", &winkFile{Words: []string{"calm"}, Vectors: map[string][]float64{"calm": {1}}}},
		{"no words", &winkFile{Dimensions: 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := build(tc.w, 10, defaultA, defaultLen, 0); err == nil {
				t.Error("build succeeded, want an error")
			}
		})
	}
}

func TestCommonComponentFindsTheSharedDirection(t *testing.T) {
	tests := []struct {
		name   string
		dims   int
		offset float64 // mean of the shared component, along u
		spread float64 // standard deviation along a direction orthogonal to u
	}{
		{"4 dims", 4, 3, 0},
		{"8 dims", 8, 3, 0},
		{"8 dims, negative", 8, -2, 0},
		// Over 10-word sentences the spread averages out and the shared
		// offset does not: u must win although the spread is wider.
		{"wider spread elsewhere", 8, 2, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.dims)))
			dirs := orthonormal(tc.dims, randomVector(rng, tc.dims), randomVector(rng, tc.dims))
			u, w := dirs[0], dirs[1]
			x, p := make([][]float64, 200), make([]float64, 200)
			var spread float64
			for k := range x {
				x[k] = randomVector(rng, tc.dims)
				shared := tc.offset + 0.5*rng.NormFloat64()
				if spread = -spread; k%2 == 0 { // pairs ±spread: no mean along w
					spread = tc.spread * rng.NormFloat64()
				}
				for i := range x[k] {
					x[k][i] = 0.1*x[k][i] + shared*u[i] + spread*w[i]
				}
				p[k] = 1 / float64(k/2+1) // Zipf-like, equal within a pair, not normalised
			}
			pc := commonComponent(x, p, defaultLen)
			if n := math.Sqrt(dot(pc, pc)); math.Abs(n-1) > 1e-9 {
				t.Errorf("|pc| = %v, want 1", n)
			}
			if c := math.Abs(dot(pc, u)); c <= 0.99 {
				t.Errorf("|cos(pc, shared direction)| = %v, want > 0.99", c)
			}
		})
	}
}

func TestAllButTheTopRemovesMeanAndTopComponents(t *testing.T) {
	// Eight vectors: a mean plus three orthonormal directions whose
	// coefficients are rows of a Hadamard matrix (zero mean, uncorrelated),
	// so the principal components are exactly u[0], u[1], u[2], with
	// variances in the ratio 100 : 25 : 1.
	u := orthonormal(8, []float64{1, 2, 0, -1, 3, 1, 0, 2}, []float64{2, -1, 1, 0, 1, -2, 1, 1}, []float64{0, 1, 3, 1, -1, 0, 2, -1})
	sd := []float64{10, 5, 1}
	mean := []float64{4, -3, 2, 1, 0.5, -1, 2, 3}
	vs := make([][]float64, 8)
	for k := range vs {
		vs[k] = slices.Clone(mean)
		for c := range u {
			for i := range vs[k] {
				vs[k][i] += sd[c] * hadamard(c+1, k) * u[c][i]
			}
		}
	}
	for removed := range 3 {
		t.Run(fmt.Sprintf("%d removed", removed), func(t *testing.T) {
			out := allButTheTop(cloneAll(vs), removed)
			checkZeroMean(t, out)
			for k, v := range out {
				for c := range u {
					want := sd[c] * hadamard(c+1, k)
					if c < removed {
						want = 0
					}
					if got := dot(v, u[c]); math.Abs(got-want) > 1e-6 {
						t.Errorf("vector %d: projection on component %d = %.3g, want %v", k, c, got, want)
					}
				}
			}
		})
	}
}

func TestWriteParseRoundTrip(t *testing.T) {
	tab := buildTable(t, fixture(), 3, 0.1)
	g := parse(t, writeTable(t, tab))
	if got, want := g.Vocabulary(), 3; got != want {
		t.Errorf("Vocabulary() = %d, want %d", got, want)
	}
	if got, want := g.Dimensions(), 4; got != want {
		t.Errorf("Dimensions() = %d, want %d", got, want)
	}
	if got := g.Name(); !strings.HasPrefix(got, "glove-sif/4d/3w-") {
		t.Errorf("Name() = %q, want glove-sif/4d/3w-<crc>", got)
	}
	known := map[string]bool{
		"the": true, "calm": true, "tired": true,
		"focus": false, "Paris": false, "paris": false, "don't": false, "ghost": false, "2020": false,
	}
	for word, want := range known {
		if got := g.Known(word); got != want {
			t.Errorf("Known(%q) = %v, want %v", word, got, want)
		}
	}
	for i, word := range tab.words {
		t.Run(word, func(t *testing.T) {
			got := embedOne(t, g, word)
			want := expectedSentence(t, tab, i)
			for j := range want {
				if math.Abs(float64(got[j])-want[j]) > 1e-5 {
					t.Fatalf("Embed(%q) = %v, want %v", word, got, want)
				}
			}
		})
	}
}

// expectedSentence is what the embedder must return for the one-word text
// tab.words[i]: the dequantised row, minus its projection on the common
// component as stored (float32), normalised.
func expectedSentence(t *testing.T, tab *table, i int) []float64 {
	t.Helper()
	v := dequantise(tab.vecs[i*tab.dims:(i+1)*tab.dims], float64(tab.coef[i]))
	pc := make([]float64, tab.dims)
	for j, x := range tab.pc {
		pc[j] = float64(float32(x))
	}
	p := dot(v, pc)
	for j := range v {
		v[j] -= p * pc[j]
	}
	n := math.Sqrt(dot(v, v))
	if n < 0.1*maxAbs(v) {
		t.Fatalf("%q is almost parallel to the common component; pick another fixture vector", tab.words[i])
	}
	for j := range v {
		v[j] /= n
	}
	return v
}

// checkRow checks that row i of tab dequantises to weight × v, within the
// quantisation error.
func checkRow(t *testing.T, tab *table, i int, weight float64, v []float64) {
	t.Helper()
	row := dequantise(tab.vecs[i*tab.dims:(i+1)*tab.dims], float64(tab.coef[i]))
	tol := weight * maxAbs(v) / 127 * 0.51
	for j, x := range v {
		if math.Abs(row[j]-weight*x) > tol {
			t.Errorf("%q[%d] = %v, want weight %.4g × %v = %v (±%.2g)", tab.words[i], j, row[j], weight, x, weight*x, tol)
		}
	}
}

func checkZeroMean(t *testing.T, vs [][]float64) {
	t.Helper()
	for i := range vs[0] {
		var m float64
		for _, v := range vs {
			m += v[i] / float64(len(vs))
		}
		if math.Abs(m) > 1e-9 {
			t.Errorf("mean[%d] = %g, want 0", i, m)
		}
	}
}

// sifWeight restates build's weighting for the other checks:
// a/(a+p), p = 1/((rank+1)·H_n).
func sifWeight(a float64, rank, n int) float64 {
	return a / (a + 1/(float64(rank+1)*harmonic(n)))
}

func buildTable(t *testing.T, w *winkFile, keep int, a float64) *table {
	t.Helper()
	tab, err := build(w, keep, a, defaultLen, 0)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return tab
}

func writeTable(t testing.TB, tab *table) string {
	t.Helper()
	var buf bytes.Buffer
	if err := tab.write(&buf); err != nil {
		t.Fatalf("write: %v", err)
	}
	return buf.String()
}

func parse(t *testing.T, data string) *embed.GloVe {
	t.Helper()
	g, err := embed.ParseGloVe(data)
	if err != nil {
		t.Fatalf("ParseGloVe: %v", err)
	}
	return g
}

func embedOne(t *testing.T, e embed.Embedder, text string) []float32 {
	t.Helper()
	v, err := e.Embed(context.Background(), []string{text})
	if err != nil {
		t.Fatalf("Embed(%q): %v", text, err)
	}
	return v[0]
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

func randomVector(rng *rand.Rand, d int) []float64 {
	v := make([]float64, d)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func unit(v []float64) []float64 {
	n := math.Sqrt(dot(v, v))
	for i := range v {
		v[i] /= n
	}
	return v
}

// orthonormal applies Gram–Schmidt to vs (each of length d).
func orthonormal(d int, vs ...[]float64) [][]float64 {
	var out [][]float64
	for _, v := range vs {
		v = slices.Clone(v[:d])
		for _, u := range out {
			p := dot(v, u)
			for i := range v {
				v[i] -= p * u[i]
			}
		}
		out = append(out, unit(v))
	}
	return out
}

// hadamard is entry (row, col) of the Sylvester Hadamard matrix: rows other
// than 0 have zero mean and are mutually orthogonal.
func hadamard(row, col int) float64 {
	if bits.OnesCount(uint(row&col))%2 == 1 {
		return -1
	}
	return 1
}

func cloneAll(vs [][]float64) [][]float64 {
	out := make([][]float64, len(vs))
	for i, v := range vs {
		out[i] = slices.Clone(v)
	}
	return out
}
