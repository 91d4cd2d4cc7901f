// Package embed turns short texts into vectors for Steady's semantic memory.
//
// Every Embedder returns L2-normalised vectors of a fixed dimension and has a
// stable Name that is stored beside each vector, so that vectors made by two
// different embedders (or two versions of one) are never compared.
//
// The default embedder, GloVe-SIF, is pure Go with its word table embedded in
// the binary; it needs no network and no account. OpenAI-compatible servers
// (OpenAI, Ollama, vLLM, TEI, LM Studio) and Gemini are supported for users
// who want a stronger model.
package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// MaxTextBytes is the longest text, in bytes of UTF-8, that any Embedder
// accepts. Steady embeds what a person said in one turn; a longer text is a
// mistake upstream, so it is rejected rather than silently truncated.
const MaxTextBytes = 64 << 10

// MaxBatch is the largest number of texts one Embed call accepts.
const MaxBatch = 4096

// Errors returned (wrapped) by every Embedder. Test with errors.Is.
var (
	// ErrEmptyText: a text is empty or only white space.
	ErrEmptyText = errors.New("embed: empty text")
	// ErrTextTooLong: a text is longer than MaxTextBytes.
	ErrTextTooLong = fmt.Errorf("embed: text longer than %d bytes", MaxTextBytes)
	// ErrBatchTooLarge: more than MaxBatch texts in one call.
	ErrBatchTooLarge = fmt.Errorf("embed: more than %d texts in one call", MaxBatch)
)

// Embedder embeds texts into vectors.
//
// Implementations are safe for concurrent use.
type Embedder interface {
	// Embed returns one vector per text, in the order given, each of length
	// Dimensions(). The caller owns the returned slices.
	//
	// Vectors are L2-normalised (unit length), with one exception: a text in
	// which the embedder recognises nothing (for GloVe-SIF, no known word:
	// emoji only, or a language it does not know) yields the zero vector,
	// whose cosine with every vector is 0. Remote embedders never do this.
	//
	// The whole call fails, and nothing is returned, if any text is empty or
	// white space only (ErrEmptyText), longer than MaxTextBytes
	// (ErrTextTooLong), if there are more than MaxBatch texts
	// (ErrBatchTooLarge), or if ctx is done (the error wraps ctx.Err()).
	// Invalid UTF-8 is accepted: invalid bytes read as U+FFFD.
	// An empty batch returns an empty result and no error.
	Embed(ctx context.Context, texts []string) ([][]float32, error)

	// Dimensions is the length of every vector Embed returns.
	Dimensions() int

	// Name identifies the embedder, its model and its dimensions, e.g.
	// "glove-sif/100d/v1-50k-1a2b3c4d" or "openai/text-embedding-3-small/1536".
	// Two embedders with the same Name produce comparable vectors.
	Name() string
}

// ValidateBatch checks texts against the contract every Embedder shares. It
// is exported for implementations outside this package.
func ValidateBatch(ctx context.Context, texts []string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("embed: %w", err)
	}
	if len(texts) > MaxBatch {
		return fmt.Errorf("%w: got %d", ErrBatchTooLarge, len(texts))
	}
	for i, t := range texts {
		if len(t) > MaxTextBytes {
			return fmt.Errorf("%w: text %d has %d bytes", ErrTextTooLong, i, len(t))
		}
		if strings.TrimSpace(t) == "" {
			return fmt.Errorf("%w: text %d", ErrEmptyText, i)
		}
	}
	return nil
}

// Normalize scales v in place to unit length. The zero vector stays zero.
func Normalize(v []float32) {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
}

// Cosine returns the cosine similarity of a and b. For unit vectors it is
// their dot product. A zero vector, or vectors of different lengths (which no
// two vectors of one embedder ever are), give 0.
func Cosine(a, b []float32) float32 {
	if len(a) != len(b) {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return float32(dot / math.Sqrt(na*nb))
}

// Dot returns the dot product of a and b, which for unit vectors is their
// cosine; b must be at least as long as a. It is the kernel of every exact
// search, so it keeps four independent sums the CPU can overlap.
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// sanitize replaces invalid UTF-8 with U+FFFD, as the Embed contract says,
// for embedders that must send text over the wire.
func sanitize(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
