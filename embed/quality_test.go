package embed_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/steady-voice/steady/embed"
)

func TestUtterancesAreAUsableSet(t *testing.T) {
	set := embed.Utterances()
	if len(set) < 150 {
		t.Fatalf("%d utterances, want at least 150", len(set))
	}
	per := map[string]int{}
	seen := map[string]bool{}
	for _, u := range set {
		per[u.Situation]++
		key := strings.ToLower(u.Text)
		if seen[key] {
			t.Errorf("duplicate utterance %q", u.Text)
		}
		seen[key] = true
	}
	for s, n := range per {
		if n < 10 {
			t.Errorf("situation %q has %d utterances, want at least 10", s, n)
		}
	}
}

func TestParseLabelled(t *testing.T) {
	tests := []struct {
		name, in string
		want     int
		wantErr  string
	}{
		{"ok", "situation\ttext\nfatigue\tso tired\n\nsmall_talk\thi\n", 2, ""},
		{"bad header", "label\ttext\n", 0, "line 1"},
		{"no tab", "situation\ttext\nfatigue so tired\n", 0, "line 2"},
		{"empty text", "situation\ttext\nfatigue\t  \n", 0, "line 2"},
		{"two tabs", "situation\ttext\nfatigue\ta\tb\n", 0, "line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := embed.ParseLabelled(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Fatalf("got %d, %v; want %d, nil", len(got), err, tc.want)
			}
		})
	}
}

func TestEvaluateRetrievalScoresRanks(t *testing.T) {
	set := []embed.Labelled{
		{"a", "red apple"}, {"a", "red apple pie"},
		{"b", "blue sky"}, {"b", "green grass"},
	}
	texts := []string{"red apple", "red apple pie", "blue sky", "green grass"}
	r, err := embed.EvaluateRetrieval(context.Background(), embed.NewTFIDF(texts), set)
	if err != nil {
		t.Fatal(err)
	}
	// The apples find each other first. "blue sky" and "green grass" share
	// no word with anything, so every other text ties at cosine 0 and ties
	// rank against the query: their neighbour comes third.
	want := embed.Retrieval{Embedder: r.Embedder, Queries: 4, RecallAt1: 0.5, RecallAt5: 1, MRR: (1 + 1 + 1.0/3 + 1.0/3) / 4}
	if r.Queries != want.Queries || r.RecallAt1 != want.RecallAt1 || r.RecallAt5 != want.RecallAt5 || math.Abs(r.MRR-want.MRR) > 1e-9 {
		t.Errorf("got %+v, want %+v", r, want)
	}
}

func TestEvaluateRetrievalNeedsPairs(t *testing.T) {
	set := []embed.Labelled{{"a", "one"}, {"a", "two"}, {"b", "lonely"}}
	if _, err := embed.EvaluateRetrieval(context.Background(), glove(t), set); err == nil || !strings.Contains(err.Error(), "only utterance") {
		t.Errorf("err = %v, want one about a situation with a single utterance", err)
	}
}

// TestGloVeBeatsLexicalBaseline pins the measured quality of the default
// embedder on the labelled set (see docs/EMBEDDINGS.md).
func TestGloVeBeatsLexicalBaseline(t *testing.T) {
	set := embed.Utterances()
	texts := make([]string, len(set))
	for i, u := range set {
		texts[i] = u.Text
	}
	ctx := context.Background()
	g, err := embed.EvaluateRetrieval(ctx, glove(t), set)
	if err != nil {
		t.Fatal(err)
	}
	lex, err := embed.EvaluateRetrieval(ctx, embed.NewTFIDF(texts), set)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("GloVe-SIF %+v", g)
	t.Logf("TF-IDF    %+v", lex)
	if g.MRR < 0.49 || g.MRR-lex.MRR < 0.04 || g.RecallAt5 <= lex.RecallAt5 {
		t.Errorf("GloVe-SIF MRR %.3f, recall@5 %.3f; TF-IDF MRR %.3f, recall@5 %.3f: quality regressed",
			g.MRR, g.RecallAt5, lex.MRR, lex.RecallAt5)
	}
}
