package embed_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/steady-voice/steady/embed"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"I'm SO overwhelmed!!", []string{"i", "am", "so", "overwhelmed"}},
		{"can't won't don't shan't ain't", []string{"can", "not", "will", "not", "do", "not", "shall", "not", "am", "not"}},
		{"Don’t you’re I’ll they'd we've", []string{"do", "not", "you", "are", "i", "will", "they", "would", "we", "have"}},
		{"mom's car, it's fine", []string{"mom", "car", "it", "fine"}},
		{"im tired, cant focus, dont care", []string{"i", "am", "tired", "can", "not", "focus", "do", "not", "care"}},
		{"idk rn tbh", []string{"i", "do", "not", "know", "right", "now", "to", "be", "honest"}},
		{"in 10min, 3 emails, 45 pages", []string{"in", "ten", "minutes", "three", "emails", "forty", "five", "pages"}},
		{"20 30 250 5000 2000000 12345678901", []string{"twenty", "thirty", "hundred", "thousand", "million", "many"}},
		{"2.5 hours", []string{"two", "five", "hours"}},
		{"self-care 5-4-3-2-1", []string{"self", "care", "five", "four", "three", "two", "one"}},
		{"😭 🎉 🦄", []string{"crying", "celebrate"}},
		{"École Straße", []string{"école", "straße"}},
		{"'quoted' rock'n'roll", []string{"quoted", "rock", "roll"}},
		{"ill well were its", []string{"ill", "well", "were", "its"}},
		{"", nil},
		{"   \t\n", nil},
		{"\xff\xfeok\xc3", []string{"ok"}},
		{strings.Repeat("a", 100) + " fine", []string{"fine"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := embed.Tokens(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("Tokens(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzTokens checks the tokeniser's invariants on any input: it never
// panics, and every token is non-empty, valid, lower-case UTF-8 made of
// letters or digits only.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"I'm fine", "can't", "10min", "😭", "\xff'\xfe", "a'b'c'd", "'", "n't", "12345678901234567890", "ÀÉÎ'õü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range embed.Tokens(s) {
			if tok == "" || !utf8.ValidString(tok) {
				t.Fatalf("Tokens(%q) gave invalid token %q", s, tok)
			}
			for _, r := range tok {
				if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) {
					t.Fatalf("Tokens(%q) gave %q with non-letter %q", s, tok, r)
				}
				if unicode.ToLower(r) != r {
					t.Fatalf("Tokens(%q) gave %q, not lower case", s, tok)
				}
			}
		}
	})
}

// FuzzGloVe checks the embedder's contract on any input: an error only for
// empty or over-long text, otherwise a finite vector of unit or zero length.
func FuzzGloVe(f *testing.F) {
	f.Add("I can't do this")
	f.Add("🦄")
	f.Add("\xff")
	g, err := embed.NewGloVe()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vecs, err := g.Embed(context.Background(), []string{s})
		if err != nil {
			if strings.TrimSpace(s) != "" && len(s) <= embed.MaxTextBytes {
				t.Fatalf("Embed(%q): %v", s, err)
			}
			return
		}
		var ss float64
		for _, x := range vecs[0] {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("Embed(%q) has %v", s, x)
			}
			ss += float64(x) * float64(x)
		}
		if ss != 0 && math.Abs(ss-1) > 1e-4 {
			t.Fatalf("|Embed(%q)|² = %v, want 0 or 1", s, ss)
		}
	})
}
