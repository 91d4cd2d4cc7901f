package main

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/steady-voice/steady/embed"
)

// FuzzParseGloVe checks that ParseGloVe never panics and that a table it
// accepts can embed text: vectors of the stated length, finite, unit or
// zero.
//
// With resum set the fuzzer's bytes get a valid checksum, so that mutations
// reach the header and section checks instead of all failing the CRC.
func FuzzParseGloVe(f *testing.F) {
	for _, data := range seedTables(f) {
		f.Add([]byte(data), false)
		for _, resum := range []bool{false, true} {
			f.Add([]byte(data[:len(data)/2]), resum)
			f.Add([]byte(data[:len(data)-5]), resum)
			for _, off := range []int{12, 16, 24, 30, len(data) / 2, len(data) - 6} {
				f.Add(flipBit(data, off, 3), resum)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, resum bool) {
		if resum {
			data = withChecksum(data)
		}
		g, err := embed.ParseGloVe(string(data))
		if err != nil {
			return
		}
		checkUsable(t, g, string(data))
	})
}

// seedTables are small valid tables, as write emits them.
func seedTables(tb testing.TB) []string {
	tb.Helper()
	w8 := synthetic(8, "calm", "tired", "focus", "rest", "noise")
	var out []string
	for _, in := range []struct {
		w          *winkFile
		keep, abtt int
	}{
		{fixture(), 1, 0},
		{fixture(), 3, 0},
		{w8, 5, 0},
		{w8, 5, 1},
	} {
		tab, err := build(in.w, in.keep, defaultA, defaultLen, in.abtt)
		if err != nil {
			tb.Fatalf("build: %v", err)
		}
		out = append(out, writeTable(tb, tab))
	}
	return out
}

// synthetic is a package of the given words with random d-dimensional
// vectors (plus the package's two trailing numbers).
func synthetic(d int, words ...string) *winkFile {
	rng := rand.New(rand.NewPCG(7, uint64(d)))
	w := &winkFile{Dimensions: d, Words: words, Vectors: map[string][]float64{}}
	for i, word := range words {
		w.Vectors[word] = append(randomVector(rng, d), 1, float64(i))
	}
	return w
}

// checkUsable embeds a few texts, among them the table itself, whose letter
// runs include every word it knows.
func checkUsable(t *testing.T, g *embed.GloVe, data string) {
	t.Helper()
	if g.Dimensions() <= 0 {
		t.Fatalf("Dimensions() = %d, want > 0", g.Dimensions())
	}
	texts := []string{"the calm tired focus", "I can't focus rn 😭, 45 mins left"}
	if err := embed.ValidateBatch(context.Background(), []string{data}); err == nil {
		texts = append(texts, data)
	}
	vecs, err := g.Embed(context.Background(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	for i, v := range vecs {
		checkVector(t, v, g.Dimensions(), texts[i])
	}
}

func checkVector(t *testing.T, v []float32, dims int, text string) {
	t.Helper()
	if len(v) != dims {
		t.Fatalf("len(Embed(%q)) = %d, want %d", text, len(v), dims)
	}
	var ss float64
	for j, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatalf("Embed(%q)[%d] = %v, want a finite number", text, j, x)
		}
		ss += float64(x) * float64(x)
	}
	if n := math.Sqrt(ss); n != 0 && math.Abs(n-1) > 1e-3 {
		t.Fatalf("|Embed(%q)| = %v, want 1 or 0", text, n)
	}
}

// withChecksum returns a copy of data whose last four bytes are the CRC of
// the rest, as write would have made them.
func withChecksum(data []byte) []byte {
	out := slices.Clone(data)
	if len(out) >= 4 {
		body := out[:len(out)-4]
		binary.LittleEndian.PutUint32(out[len(body):], crc32.ChecksumIEEE(body))
	}
	return out
}

func flipBit(data string, off, bit int) []byte {
	out := []byte(data)
	out[off] ^= 1 << bit
	return out
}

// The cases below were found by FuzzParseGloVe or by reading ParseGloVe
// beside it: tables with a valid checksum that parsed, then embedded to
// empty vectors or to NaN.

func TestParseGloVeRejectsUnusableTables(t *testing.T) {
	unitPC := []float64{1, 0, 0, 0}
	tests := []struct {
		name  string
		tab   *table
		patch map[int]uint32 // header offset → value, then re-checksummed
	}{
		{"no dimensions", &table{coef: []float32{1}, words: []string{"calm"}}, nil},
		{"no words", &table{dims: 4, pc: unitPC}, nil},
		{"common component too long", oneWord([]float64{2, 0, 0, 0}, 1, 1, 0, 0, 0), nil},
		{"common component zero", oneWord([]float64{0, 0, 0, 0}, 1, 1, 0, 0, 0), nil},
		{"common component NaN", oneWord([]float64{math.NaN(), 0, 0, 0}, 1, 1, 0, 0, 0), nil},
		{"common component infinite", oneWord([]float64{math.Inf(1), 0, 0, 0}, 1, 1, 0, 0, 0), nil},
		{"coefficient NaN", oneWord(unitPC, float32(math.NaN()), 1, 0, 0, 0), nil},
		{"coefficient infinite", oneWord(unitPC, float32(math.Inf(-1)), 1, 0, 0, 0), nil},
		{"coefficient huge", oneWord(unitPC, 1e30, 1, 0, 0, 0), nil},
		{"header dims 0", oneWord(unitPC, 1, 1, 0, 0, 0), map[int]uint32{12: 0}},
		{"header dims huge", oneWord(unitPC, 1, 1, 0, 0, 0), map[int]uint32{12: math.MaxUint32}},
		{"header words huge", oneWord(unitPC, 1, 1, 0, 0, 0), map[int]uint32{16: math.MaxUint32}},
		{"header words × dims overflow", oneWord(unitPC, 1, 1, 0, 0, 0), map[int]uint32{12: 1 << 31, 16: 1 << 31}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(writeTable(t, tc.tab))
			for off, v := range tc.patch {
				binary.LittleEndian.PutUint32(data[off:], v)
			}
			if g, err := embed.ParseGloVe(string(withChecksum(data))); err == nil {
				t.Errorf("ParseGloVe accepted the table (%d words × %d dims), want an error", g.Vocabulary(), g.Dimensions())
			}
		})
	}
}

// TestParseGloVeFlushesTinyValues: values far below any real weight are
// read as zero, so that the one-word sentence is the zero vector rather than
// a residue too short for Normalize (which made NaN).
func TestParseGloVeFlushesTinyValues(t *testing.T) {
	tests := []struct {
		name string
		tab  *table
	}{
		{"tiny coefficient", oneWord([]float64{1, 0x1p-30, 0, 0}, 0x1p-100, 1, 0, 0, 0)},
		{"tiny common component", oneWord([]float64{1, 0x1p-140, 0, 0}, 1, 1, 0, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := parse(t, writeTable(t, tc.tab))
			v := embedOne(t, g, "calm")
			checkVector(t, v, 4, "calm")
			if !slices.Equal(v, make([]float32, 4)) {
				t.Errorf("Embed(calm) = %v, want the zero vector", v)
			}
		})
	}
}

// oneWord is a table of the single word "calm".
func oneWord(pc []float64, coef float32, q ...int8) *table {
	return &table{dims: len(pc), a: defaultA, pc: pc, coef: []float32{coef}, vecs: q, words: []string{"calm"}}
}
