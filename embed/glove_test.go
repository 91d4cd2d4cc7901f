package embed_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/steady-voice/steady/embed"
)

func glove(t testing.TB) *embed.GloVe {
	t.Helper()
	g, err := embed.NewGloVe()
	if err != nil {
		t.Fatalf("NewGloVe: %v", err)
	}
	return g
}

func embedOne(t testing.TB, e embed.Embedder, text string) []float32 {
	t.Helper()
	v, err := e.Embed(context.Background(), []string{text})
	if err != nil {
		t.Fatalf("Embed(%q): %v", text, err)
	}
	return v[0]
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestGloVeIdentity(t *testing.T) {
	g := glove(t)
	if got, want := g.Dimensions(), 100; got != want {
		t.Errorf("Dimensions() = %d, want %d", got, want)
	}
	if got := g.Name(); !strings.HasPrefix(got, "glove-sif/100d/100000w-") {
		t.Errorf("Name() = %q, want glove-sif/100d/100000w-<crc>", got)
	}
	if got := g.Vocabulary(); got != 100000 {
		t.Errorf("Vocabulary() = %d, want 100000", got)
	}
	g2 := glove(t)
	if g2 != g {
		t.Error("NewGloVe parsed the table twice; want one shared table per process")
	}
}

func TestGloVeVectorsAreUnitAndDeterministic(t *testing.T) {
	g := glove(t)
	texts := []string{"I can't get started on my taxes", "the fridge is humming and it's driving me mad", "done! dishes washed"}
	batch, err := g.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		one := embedOne(t, g, text)
		if n := norm(one); math.Abs(n-1) > 1e-5 {
			t.Errorf("|v(%q)| = %v, want 1", text, n)
		}
		if got := embed.Cosine(one, batch[i]); got < 0.99999 {
			t.Errorf("batch vector %d differs from single embedding: cosine %v", i, got)
		}
	}
}

func TestGloVeSemantics(t *testing.T) {
	g := glove(t)
	sim := func(a, b string) float32 { return embed.Cosine(embedOne(t, g, a), embedOne(t, g, b)) }
	tests := []struct{ query, near, far string }{
		{"I'm completely exhausted", "so tired I can barely move", "remind me to call the dentist at 3"},
		{"the lights in here are way too bright", "this room is so loud and bright, it hurts", "I finished the first step"},
		{"please remind me in ten minutes", "can you nudge me later about the laundry", "I feel like a total failure"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			near, far := sim(tc.query, tc.near), sim(tc.query, tc.far)
			if near <= far {
				t.Errorf("sim(near %q) = %.3f, sim(far %q) = %.3f; want near > far", tc.near, near, tc.far, far)
			}
		})
	}
}

func TestGloVeSpellingsOfContractionsAgree(t *testing.T) {
	g := glove(t)
	pairs := [][2]string{
		{"I can't focus", "i cant focus"},
		{"I'm so tired", "im SO tired"},
		{"don’t know where to start", "dont know where to start"},
		{"I've got 3 emails", "ive got three emails"},
		{"won't be late", "will not be late"},
	}
	for _, p := range pairs {
		if got := embed.Cosine(embedOne(t, g, p[0]), embedOne(t, g, p[1])); got < 0.9999 {
			t.Errorf("cosine(%q, %q) = %v, want 1", p[0], p[1], got)
		}
	}
}

func TestGloVeInputEdges(t *testing.T) {
	g := glove(t)
	tests := []struct {
		name     string
		texts    []string
		wantErr  error
		wantZero bool
	}{
		{"empty", []string{""}, embed.ErrEmptyText, false},
		{"white space", []string{" \t\n "}, embed.ErrEmptyText, false},
		{"empty among others", []string{"hello", ""}, embed.ErrEmptyText, false},
		{"one megabyte", []string{strings.Repeat("tired ", 1<<20/6)}, embed.ErrTextTooLong, false},
		{"just over the cap", []string{strings.Repeat("a", embed.MaxTextBytes+1)}, embed.ErrTextTooLong, false},
		{"too many texts", make([]string, embed.MaxBatch+1), embed.ErrBatchTooLarge, false},
		{"at the cap", []string{strings.Repeat("calm ", embed.MaxTextBytes/5)}, nil, false},
		{"known emoji", []string{"😭😭"}, nil, false},
		{"unknown emoji", []string{"🦄🪐"}, nil, true},
		{"japanese", []string{"今日はとても疲れました"}, nil, true},
		{"punctuation only", []string{"?!... --"}, nil, true},
		{"spanish", []string{"estoy muy cansado"}, nil, false},
		{"invalid utf-8", []string{"\xff\xfe so tired \xc3"}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vecs, err := g.Embed(context.Background(), tc.texts)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if vecs != nil {
					t.Errorf("got %d vectors with an error, want none", len(vecs))
				}
				return
			}
			n := norm(vecs[0])
			if tc.wantZero && n != 0 {
				t.Errorf("|v| = %v, want the zero vector", n)
			}
			if !tc.wantZero && math.Abs(n-1) > 1e-5 {
				t.Errorf("|v| = %v, want 1", n)
			}
		})
	}
}

func TestGloVeInvalidUTF8ReadsAsSeparator(t *testing.T) {
	g := glove(t)
	a, b := embedOne(t, g, "so\xfftired"), embedOne(t, g, "so tired")
	if got := embed.Cosine(a, b); got < 0.9999 {
		t.Errorf("cosine = %v, want 1", got)
	}
}

func TestGloVeEmptyBatch(t *testing.T) {
	vecs, err := glove(t).Embed(context.Background(), nil)
	if err != nil || len(vecs) != 0 {
		t.Errorf("Embed(nil) = %v, %v; want empty, nil", vecs, err)
	}
}

func TestGloVeCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := glove(t).Embed(ctx, []string{"hello"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestGloVeReturnedVectorsAreTheCallers(t *testing.T) {
	g := glove(t)
	vecs, err := g.Embed(context.Background(), []string{"calm", "calm"})
	if err != nil {
		t.Fatal(err)
	}
	vecs[0] = append(vecs[0], 42) // must not spill into vecs[1]
	if len(vecs[1]) != 100 || embed.Cosine(vecs[1], embedOne(t, g, "calm")) < 0.9999 {
		t.Error("appending to one returned vector changed another")
	}
}

func TestParseGloVeRejectsDamage(t *testing.T) {
	good := gloveTableForTest(t)
	tests := map[string]string{
		"empty":       "",
		"bad magic":   "XXXXXXXX" + good[8:],
		"truncated":   good[:len(good)/2],
		"flipped bit": good[:1000] + string(good[1000]^1) + good[1001:],
		"no checksum": good[:len(good)-4],
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := embed.ParseGloVe(data); err == nil {
				t.Error("ParseGloVe accepted a damaged table")
			}
		})
	}
}

func gloveTableForTest(t *testing.T) string {
	t.Helper()
	if _, err := embed.ParseGloVe(embed.GloVeTable); err != nil {
		t.Fatalf("the embedded table does not parse: %v", err)
	}
	return embed.GloVeTable
}

// domainWords are words people with ADHD or autism use about their day that
// a news-trained vocabulary may lack. The table's size was chosen by how many
// of them it covers (docs/EMBEDDINGS.md).
var domainWords = strings.Fields(`hyperfocus stimming overstimulated overstimulation
	meltdown shutdown spoons masking dopamine procrastinate fidget fidgety overthinking
	burnout burnt doomscrolling scrolling dysfunction sensory neurodivergent autistic adhd
	meds medication insomnia exhausted knackered anxious panicky jittery restless itchy
	scratchy fluorescent buzzing humming chewing clutter messy tidy declutter chores
	deadline deadlines overdue unread inbox`)

func TestGloVeCoversDomainWords(t *testing.T) {
	g := glove(t)
	var missing []string
	for _, w := range domainWords {
		if !g.Known(w) {
			missing = append(missing, w)
		}
	}
	t.Logf("%d of %d domain words known; missing %q", len(domainWords)-len(missing), len(domainWords), missing)
	if known := len(domainWords) - len(missing); known < 37 {
		t.Errorf("%d of %d domain words known, want at least 37", known, len(domainWords))
	}
}

func TestDot(t *testing.T) {
	for n := range 10 { // every remainder of the four-way unrolling
		a, b := make([]float32, n), make([]float32, n+2)
		var want float32
		for i := range a {
			a[i], b[i] = float32(i+1), float32(2*i-3)
			want += a[i] * b[i]
		}
		if got := embed.Dot(a, b); got != want {
			t.Errorf("n=%d: got %v, want %v", n, got, want)
		}
	}
}
