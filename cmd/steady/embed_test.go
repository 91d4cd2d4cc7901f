package main

import (
	"bufio"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestEmbedSimilarity(t *testing.T) {
	out := mustSteady(t, nil, "", "embed", "similarity", "I'm exhausted", "so tired I can't move")
	v, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if err != nil || v <= 0.3 || v > 1 {
		t.Errorf("similarity printed %q, want a cosine in (0.3, 1]", out)
	}
	var res struct {
		A, B, Embedder string
		Cosine         float64
	}
	if err := json.Unmarshal([]byte(mustSteady(t, nil, "", "--json", "embed", "similarity", "a cat", "a cat")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Cosine < 0.9999 || !strings.HasPrefix(res.Embedder, "glove-sif/") || res.A != "a cat" {
		t.Errorf("--json similarity = %+v, want cosine 1 from glove-sif", res)
	}
}

func TestEmbedSimilarityBadInput(t *testing.T) {
	for _, args := range [][]string{{"only one"}, {"a", "b", "c"}, {"", "fine"}} {
		if _, _, err := steady(t, nil, "", append([]string{"embed", "similarity"}, args...)...); err == nil {
			t.Errorf("similarity %q: no error", args)
		}
	}
}

func TestEmbedVectors(t *testing.T) {
	in := "I can't start\n\n   \nthe room is too loud\n😭\n"
	out := mustSteady(t, nil, in, "embed", "vectors")
	var lines []struct {
		Text   string
		Vector []float32
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l struct {
			Text   string
			Vector []float32
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3 (blank lines skipped)", len(lines))
	}
	for i, want := range []string{"I can't start", "the room is too loud", "😭"} {
		if lines[i].Text != want || len(lines[i].Vector) != 100 {
			t.Errorf("line %d = %q with %d dims, want %q with 100", i, lines[i].Text, len(lines[i].Vector), want)
		}
	}
}

func TestEmbedVectorsRejectsHugeLine(t *testing.T) {
	_, _, err := steady(t, nil, strings.Repeat("x", 70<<10)+"\n", "embed", "vectors")
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("err = %v, want one saying the line is too long", err)
	}
}

func TestEmbedEval(t *testing.T) {
	var results []evalResult
	if err := json.Unmarshal([]byte(mustSteady(t, nil, "", "embed", "eval", "--json")), &results); err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("got %d results, want GloVe-SIF and TF-IDF", len(results))
	}
	g, lex := results[0], results[1]
	if !strings.HasPrefix(g.Embedder, "glove-sif/") || !strings.HasPrefix(lex.Embedder, "tfidf/") {
		t.Errorf("embedders %q, %q; want glove-sif then tfidf", g.Embedder, lex.Embedder)
	}
	if g.MRR <= lex.MRR || g.Queries < 150 {
		t.Errorf("GloVe-SIF MRR %.3f vs TF-IDF %.3f over %d queries; want GloVe ahead on ≥150", g.MRR, lex.MRR, g.Queries)
	}
	if out := mustSteady(t, nil, "", "embed", "eval"); !strings.Contains(out, "recall@1") || !strings.Contains(out, "glove-sif/") {
		t.Errorf("table output %q lacks the header or the embedder", out)
	}
}
