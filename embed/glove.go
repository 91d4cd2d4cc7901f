package embed

import (
	"context"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"strings"
	"sync"
)

//go:generate go run ./internal/mkglove -out glove.bin

// gloveTable is the compacted GloVe table written by internal/mkglove.
// Layout, little-endian:
//
//	"STEADYGV"  magic
//	u32         format version (1)
//	u32         dims d
//	u32         words n
//	f32         SIF parameter a (informational)
//	f32 × d     common component (unit vector), removed from every sentence
//	f32 × n     per-word coefficient: SIF weight a/(a+p(w)) × int8 scale
//	i8 × n·d    word vectors, quantised
//	u32, bytes  the n words joined by '\n', most frequent first
//	u32         CRC-32 (IEEE) of everything above
//
//go:embed glove.bin
var gloveTable string

// GloVe is the default embedder: GloVe 6B 100-d word vectors combined into a
// sentence vector with smooth inverse frequency weighting (Arora, Liang and
// Ma, "A Simple but Tough-to-Beat Baseline for Sentence Embeddings", 2017):
// a weighted mean of the word vectors, minus its projection on the common
// discourse direction, L2-normalised. Pure Go, no network; the table is in
// the binary.
type GloVe struct {
	dims  int
	name  string
	pc    []float32
	coef  []float32
	vecs  string // int8 values, read byte by byte
	index map[string]int32
}

var _ Embedder = (*GloVe)(nil)

var loadGloVe = sync.OnceValues(func() (*GloVe, error) { return ParseGloVe(gloveTable) })

// NewGloVe returns the default embedder. The table is parsed once per
// process and shared; the error reports a damaged table (a build problem).
func NewGloVe() (*GloVe, error) { return loadGloVe() }

// Name is "glove-sif/100d/<words>w-<crc>": it changes whenever the table does.
func (g *GloVe) Name() string { return g.name }

// Dimensions is 100.
func (g *GloVe) Dimensions() int { return g.dims }

// Vocabulary is the number of words the table knows.
func (g *GloVe) Vocabulary() int { return len(g.index) }

// Known reports whether word (as a token: lower case) has a vector.
func (g *GloVe) Known(word string) bool { _, ok := g.index[word]; return ok }

// Embed implements Embedder. It allocates one backing array for all vectors
// and the slice that holds them.
func (g *GloVe) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ValidateBatch(ctx, texts); err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	backing := make([]float32, len(texts)*g.dims)
	for i, t := range texts {
		if i%64 == 63 && ctx.Err() != nil {
			return nil, fmt.Errorf("embed: %w", ctx.Err())
		}
		out[i] = backing[i*g.dims : (i+1)*g.dims : (i+1)*g.dims]
		g.sentence(t, out[i])
	}
	return out, nil
}

// sentence writes the SIF vector of text into v (len dims, zeroed).
func (g *GloVe) sentence(text string, v []float32) {
	tok := newTokenizer(text)
	var total float32
	for w := tok.Next(); w != nil; w = tok.Next() {
		id, ok := g.lookup(w)
		if !ok {
			continue
		}
		c := g.coef[id]
		row := g.vecs[int(id)*g.dims : int(id+1)*g.dims]
		for j := range v {
			v[j] += c * float32(int8(row[j]))
		}
		total++
	}
	if total == 0 {
		return
	}
	var proj float32
	for j := range v {
		proj += v[j] * g.pc[j]
	}
	for j := range v {
		v[j] -= proj * g.pc[j]
	}
	Normalize(v)
}

// lookup finds a token, falling back to a simple stem for inflected words
// missing from the table ("procrastinating" → "procrastinate").
func (g *GloVe) lookup(w []byte) (int32, bool) {
	if id, ok := g.index[string(w)]; ok {
		return id, true
	}
	return g.stem(w)
}

func (g *GloVe) stem(w []byte) (int32, bool) {
	for _, s := range suffixes {
		n := len(w) - len(s.cut)
		if n < 3 || string(w[n:]) != s.cut {
			continue
		}
		var buf [maxTokenBytes + 4]byte
		k := copy(buf[:], w[:n])
		k += copy(buf[k:], s.add)
		if id, ok := g.index[string(buf[:k])]; ok {
			return id, true
		}
	}
	return 0, false
}

var suffixes = []struct{ cut, add string }{
	{"ing", ""}, {"ing", "e"}, {"ed", ""}, {"ed", "e"}, {"ies", "y"}, {"es", ""},
	{"s", ""}, {"ly", ""}, {"ness", ""}, {"ful", ""},
}

var errTable = errors.New("embed: damaged GloVe table")

// ParseGloVe reads a table in the format above, as written by
// internal/mkglove (for example with a larger vocabulary than the embedded
// one). The vectors are used in place, not copied. A damaged or truncated
// table is an error, never a panic.
func ParseGloVe(data string) (*GloVe, error) {
	r := reader{s: data}
	if len(data) < 12 || r.bytes(8) != "STEADYGV" {
		return nil, fmt.Errorf("%w: bad magic", errTable)
	}
	crc := binary.LittleEndian.Uint32([]byte(data[len(data)-4:]))
	if checksum(data[:len(data)-4]) != crc {
		return nil, fmt.Errorf("%w: checksum mismatch", errTable)
	}
	if v := r.u32(); v != 1 {
		return nil, fmt.Errorf("%w: format version %d", errTable, v)
	}
	dims, n := int(r.u32()), int(r.u32())
	if err := checkShape(dims, n, len(data)); err != nil {
		return nil, err
	}
	r.f32s(1)
	g := &GloVe{dims: dims, pc: r.f32s(dims), coef: r.f32s(n), vecs: r.bytes(n * dims)}
	words := r.bytes(int(r.u32()))
	if r.err != nil || len(data)-r.off != 4 {
		return nil, fmt.Errorf("%w: truncated", errTable)
	}
	if err := g.checkNumbers(); err != nil {
		return nil, err
	}
	g.index = make(map[string]int32, n)
	for i := range n {
		w, rest, _ := strings.Cut(words, "\n")
		g.index[w] = int32(i)
		words = rest
	}
	if len(g.index) != n {
		return nil, fmt.Errorf("%w: %d distinct words, header says %d", errTable, len(g.index), n)
	}
	g.name = fmt.Sprintf("glove-sif/%dd/%dw-%08x", dims, n, crc)
	return g, nil
}

// checkShape rejects counts that would make Embed return empty vectors or
// index past the vectors: every word needs dims bytes of the table, so
// n·dims ≤ size, compared by division because the product can overflow an
// int of 32 bits. Word ids are int32.
func checkShape(dims, n, size int) error {
	if dims <= 0 || n <= 0 || n > math.MaxInt32 || n > size/dims {
		return fmt.Errorf("%w: %d words × %d dims in %d bytes", errTable, n, dims, size)
	}
	return nil
}

// Bounds on the table's numbers that keep every sentence vector finite. A
// real table has coefficients near 1e-2 and a unit common component. With
// |coef| ≤ 2^20, a text of at most MaxTextBytes (fewer than 2^17 tokens of
// |int8| ≤ 128) sums to less than 2^44 per component. Magnitudes below
// 2^-40 carry nothing and are flushed to zero: their products can leave a
// vector so short (below 2^-128) that Normalize's 1/|v| overflows float32
// and the result is Inf and NaN.
const (
	maxCoef   = 1 << 20
	tinyValue = 0x1p-40
)

// checkNumbers rejects a common component that is not a unit vector and
// coefficients that are not finite or too large, and flushes tiny values.
func (g *GloVe) checkNumbers() error {
	var ss float64
	for i, x := range g.pc {
		ss += float64(x) * float64(x)
		g.pc[i] = flushTiny(x)
	}
	if !(math.Abs(ss-1) <= 1e-3) { // also NaN and Inf
		return fmt.Errorf("%w: common component of squared length %g, want 1", errTable, ss)
	}
	for i, c := range g.coef {
		if !(math.Abs(float64(c)) <= maxCoef) {
			return fmt.Errorf("%w: word %d has coefficient %g", errTable, i, c)
		}
		g.coef[i] = flushTiny(c)
	}
	return nil
}

func flushTiny(x float32) float32 {
	if math.Abs(float64(x)) < tinyValue {
		return 0
	}
	return x
}

// checksum is the CRC-32 (IEEE) of s, computed through a small buffer
// rather than one copy of the whole table.
func checksum(s string) uint32 {
	var buf [64 << 10]byte
	var crc uint32
	for len(s) > 0 {
		n := copy(buf[:], s)
		crc = crc32.Update(crc, crc32.IEEETable, buf[:n])
		s = s[n:]
	}
	return crc
}

// reader walks the table, remembering the first overrun.
type reader struct {
	s   string
	off int
	err error
}

func (r *reader) bytes(n int) string {
	if r.err != nil || n < 0 || r.off+n > len(r.s) {
		r.err = errTable
		return ""
	}
	b := r.s[r.off : r.off+n]
	r.off += n
	return b
}

func (r *reader) u32() uint32 {
	b := r.bytes(4)
	if len(b) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32([]byte(b))
}

func (r *reader) f32s(n int) []float32 {
	b := r.bytes(4 * n)
	if r.err != nil {
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32([]byte(b[4*i:])))
	}
	return out
}
