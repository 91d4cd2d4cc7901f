package memory_test

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

func randomUnit(r *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// TestSearchIsExact compares search with brute force over every record.
func TestSearchIsExact(t *testing.T) {
	f := newFixture(t, func(c *memory.Config) { c.Ranking.NearDuplicate = 1 })
	r := rand.New(rand.NewPCG(1, 2))
	var stored []memory.Intervention
	for range 300 {
		stored = append(stored, f.record(t, memory.Intervention{Context: "x", Embedding: randomUnit(r, 100), Outcome: memory.TaskCompleted}))
	}
	for q := range 20 {
		query := randomUnit(r, 100)
		got, err := f.svc.Search(f.ctx, "alice", memory.Query{Vector: query, K: 10, MinSimilarity: -1})
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(stored)
		sort.SliceStable(want, func(i, j int) bool { return dot(query, want[i].Embedding) > dot(query, want[j].Embedding) })
		for i := range 10 {
			if got[i].ID != want[i].ID {
				t.Fatalf("query %d: result %d is %s, brute force says %s", q, i, got[i].ID, want[i].ID)
			}
		}
	}
}

func TestSearchFilters(t *testing.T) {
	f := newFixture(t)
	early := f.record(t, memory.Intervention{Context: "I am overwhelmed by my emails", Tool: "create_microsteps", Category: memory.Task, Outcome: memory.TaskCompleted, Scores: map[string]float64{"effectiveness": 0.9}})
	f.clock.Advance(time.Hour)
	since := f.clock.Now()
	done := f.record(t, memory.Intervention{Context: "so many emails, I feel overwhelmed", Outcome: memory.ReEngaged, Scores: map[string]float64{"effectiveness": 0.4}})
	failed := f.record(t, memory.Intervention{Context: "overwhelmed with emails again", Outcome: memory.Abandoned})
	f.record(t, memory.Intervention{UserID: "bob", Context: "I am overwhelmed by my emails", Outcome: memory.TaskCompleted})
	query := "the emails are overwhelming me"
	tests := []struct {
		name string
		q    memory.Query
		want []string
	}{
		{"successful only by default", memory.Query{}, []string{early.ID, done.ID}},
		{"all outcomes", memory.Query{AllOutcomes: true}, []string{early.ID, done.ID, failed.ID}},
		{"outcome set", memory.Query{Outcomes: []memory.Outcome{memory.Abandoned}}, []string{failed.ID}},
		{"tool", memory.Query{Tool: "create_microsteps"}, []string{early.ID}},
		{"category", memory.Query{Category: memory.Emotional}, []string{done.ID}},
		{"minimum score", memory.Query{MinScore: 0.5}, []string{early.ID}},
		{"since", memory.Query{Since: since, AllOutcomes: true}, []string{done.ID, failed.ID}},
		{"minimum similarity", memory.Query{MinSimilarity: 0.9999}, nil},
		{"k", memory.Query{K: 1, AllOutcomes: true}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Text = query
			got, err := f.svc.Search(f.ctx, "alice", tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "k" {
				if len(got) != 1 {
					t.Errorf("got %d results, want 1", len(got))
				}
				return
			}
			gotIDs := ids(got)
			slices.Sort(gotIDs)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(gotIDs, want) {
				t.Errorf("got %v, want %v", gotIDs, want)
			}
			for _, m := range got {
				if m.UserID != "alice" {
					t.Errorf("result of user %q in alice's search", m.UserID)
				}
			}
		})
	}
}

func TestSearchReturnsNoNearDuplicates(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		f.record(t, memory.Intervention{Context: "the lights are too bright", Outcome: memory.ReEngaged})
	}
	other := f.record(t, memory.Intervention{Context: "the room is so loud and bright", Outcome: memory.ReEngaged})
	got, err := f.svc.Search(f.ctx, "alice", memory.Query{Text: "bright lights hurt", K: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !slices.Contains(ids(got), other.ID) {
		t.Errorf("got %d results %v, want one of the identical three and %s", len(got), ids(got), other.ID)
	}
	all, err := f.svc.Search(f.ctx, "alice", memory.Query{Text: "bright lights hurt", K: 10, Duplicates: true})
	if err != nil || len(all) != 4 {
		t.Errorf("with Duplicates: %d results, %v; want all 4", len(all), err)
	}
	lite, err := f.svc.Search(f.ctx, "alice", memory.Query{Text: "bright lights hurt", K: 10, Duplicates: true, Light: true})
	if err != nil || len(lite) != 4 {
		t.Fatalf("Light: %d results, %v; want 4", len(lite), err)
	}
	for i, m := range lite {
		if m.ID != all[i].ID || m.Similarity != all[i].Similarity || m.Outcome != all[i].Outcome || m.Tool != all[i].Tool || m.Context != "" {
			t.Errorf("light match %d = %+v, want %+v without the record's text", i, m, all[i])
		}
	}
}

func TestSearchScoreWeightPrefersEffective(t *testing.T) {
	f := newFixture(t, func(c *memory.Config) { c.Ranking.ScoreWeight = 1 })
	near := f.record(t, memory.Intervention{Context: "can't focus on homework", Outcome: memory.ReEngaged, Scores: map[string]float64{"effectiveness": 0.1}})
	good := f.record(t, memory.Intervention{Context: "my focus keeps drifting from the assignment", Outcome: memory.ReEngaged, Scores: map[string]float64{"effectiveness": 1}})
	got, err := f.svc.Search(f.ctx, "alice", memory.Query{Text: "can't focus on homework", K: 2})
	if err != nil || len(got) != 2 {
		t.Fatalf("got %v, %v", got, err)
	}
	if got[0].ID != good.ID || got[1].ID != near.ID || got[0].Rank <= got[0].Similarity {
		t.Errorf("order %v (ranks %.2f, %.2f), want the effective one first", ids(got), got[0].Rank, got[1].Rank)
	}
}

func TestSearchRejectsBadQueries(t *testing.T) {
	f := newFixture(t)
	for name, q := range map[string]memory.Query{
		"k zero is default, k negative is not": {Text: "x", K: -1},
		"absurd k":                             {Text: "x", K: 1_000_000},
		"empty text":                           {Text: " "},
		"wrong vector":                         {Vector: []float32{1, 2}},
		"unknown outcome":                      {Text: "x", Outcomes: []memory.Outcome{"meh"}},
		"similarity above 1":                   {Text: "x", MinSimilarity: 2},
	} {
		if _, err := f.svc.Search(f.ctx, "alice", q); !steady.Is(err, steady.Invalid) {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
	if _, err := f.svc.Search(f.ctx, "al ice", memory.Query{Text: "x"}); !steady.Is(err, steady.Invalid) || !strings.Contains(err.Error(), "user id") {
		t.Errorf("bad user id: err = %v, want invalid", err)
	}
}

func TestSearchExpiredInterventionsVanish(t *testing.T) {
	f := newFixture(t)
	f.record(t, memory.Intervention{Context: "so tired today", Outcome: memory.ReEngaged})
	f.clock.Advance(31 * 24 * time.Hour)
	got, err := f.svc.Search(f.ctx, "alice", memory.Query{Text: "exhausted", AllOutcomes: true})
	if err != nil || len(got) != 0 {
		t.Errorf("after 31 days: %d results, %v; want none", len(got), err)
	}
}

// TestSearchWithDuplicatesKeepsTheBestK: with duplicates kept, the best k
// are found by a bounded scan; they must be the first k of the full
// ranking, ties (the identical contexts) to the newer.
func TestSearchWithDuplicatesKeepsTheBestK(t *testing.T) {
	f := newFixture(t)
	contexts := []string{"the lights are too bright", "I can't start my essay", "so tired and overwhelmed", "the room is loud"}
	for i := range 40 {
		f.record(t, memory.Intervention{Context: contexts[i%len(contexts)], Outcome: memory.ReEngaged})
	}
	q := memory.Query{Text: "bright loud room, can't start", K: 40, Duplicates: true, Light: true}
	all, err := f.svc.Search(f.ctx, "alice", q)
	if err != nil || len(all) != 40 {
		t.Fatalf("all: %d results, %v; want 40", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if a, b := all[i-1], all[i]; a.Rank < b.Rank || a.Rank == b.Rank && a.ID < b.ID {
			t.Fatalf("all: result %d (%v, %s) ranks above %d (%v, %s)", i, b.Rank, b.ID, i-1, a.Rank, a.ID)
		}
	}
	for _, k := range []int{1, 3, 9, 10, 11, 30} {
		q.K = k
		got, err := f.svc.Search(f.ctx, "alice", q)
		if err != nil || !slices.Equal(ids(got), ids(all[:k])) {
			t.Errorf("K=%d: got %v, %v; want the first %d of all", k, ids(got), err, k)
		}
	}
}
