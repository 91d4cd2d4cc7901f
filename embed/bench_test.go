package embed_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/steady-voice/steady/embed"
)

// utterance20 is a typical 20-word turn.
const utterance20 = "ugh I cannot get started on the report, my desk is a mess and I keep checking my phone again"

func BenchmarkGloVeEmbed20Words(b *testing.B) {
	g := glove(b)
	ctx := context.Background()
	texts := []string{utterance20}
	if n := len(embed.Tokens(utterance20)); n != 20 {
		b.Fatalf("utterance has %d tokens, want 20", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGloVeEmbedBatch(b *testing.B) {
	g := glove(b)
	ctx := context.Background()
	for _, n := range []int{16, 256} {
		texts := make([]string, n)
		for i := range texts {
			texts[i] = fmt.Sprintf("%s %d", utterance20, i)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.Embed(ctx, texts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/text")
		})
	}
}

// BenchmarkGloVeLoad measures what start-up pays to make the embedded table
// usable: checksum, header, per-word coefficients and the word index.
func BenchmarkGloVeLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := embed.ParseGloVe(embed.GloVeTable); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokens(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		embed.Tokens(utterance20)
	}
}

func BenchmarkCacheHit(b *testing.B) {
	c := embed.NewCache(glove(b), 1024)
	ctx := context.Background()
	texts := []string{utterance20}
	if _, err := c.Embed(ctx, texts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
}
