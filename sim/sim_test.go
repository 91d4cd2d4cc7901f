package sim_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"github.com/steady-voice/steady/internal/steadytest"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent/data"
	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/sqlitestore"
	"github.com/steady-voice/steady/sim"
)

func embedder(t testing.TB) embed.Embedder { return steadytest.GloVe(t) }

// config is a small run on real SQLite stores in a test directory.
func config(t *testing.T, users, sessions int) sim.Config {
	t.Helper()
	dir := t.TempDir()
	return sim.Config{Users: users, Sessions: sessions, Seed: 42, Embedder: embedder(t), Dir: dir,
		OpenStore: func(ctx context.Context, policy string) (memory.Store, error) {
			return sqlitestore.Open(ctx, filepath.Join(dir, policy+".db"), sqlitestore.Options{})
		}}
}

func TestPersonasAreDeterministicAndSpread(t *testing.T) {
	a, b := sim.NewPersonas(7, 100), sim.NewPersonas(7, 100)
	other := sim.NewPersonas(8, 100)
	wrong, differs := 0, false
	for i := range a {
		for _, s := range sim.Situations() {
			for _, tool := range data.Fits(s) {
				if got, want := a[i].Help(s, tool), b[i].Help(s, tool); got != want {
					t.Fatalf("persona %d, %s, %s: got %v, want %v from the same seed", i, s, tool, got, want)
				}
				differs = differs || a[i].Help(s, tool) != other[i].Help(s, tool)
			}
			if a[i].TextbookWrong(s) {
				wrong++
			}
		}
	}
	if !differs {
		t.Error("seeds 7 and 8 gave the same personas")
	}
	pairs := len(a) * len(sim.Situations())
	if wrong < pairs/5 || wrong > pairs*4/5 {
		t.Errorf("textbook tool wrong in %d of %d (user, situation) pairs, want between a fifth and four fifths", wrong, pairs)
	}
}

// The wider people differ, the more often the textbook tool is the wrong
// one for them and the further it falls behind their best.
func TestSpreadWidensTheGapToTheTextbook(t *testing.T) {
	gap := func(spread float64) (wrong int, diff float64) {
		for _, p := range sim.NewPersonasSpread(3, 300, spread) {
			for _, s := range sim.Situations() {
				fits := data.Fits(s)
				if p.TextbookWrong(s) {
					wrong++
				}
				diff += p.Help(s, p.Best(s, fits)) - p.Help(s, fits[0])
			}
		}
		return wrong, diff
	}
	narrowWrong, narrowDiff := gap(0.5)
	wideWrong, wideDiff := gap(3)
	if wideWrong <= narrowWrong || wideDiff <= narrowDiff {
		t.Errorf("spread 3: textbook wrong %d times, gap %.1f; spread 0.5: %d, %.1f; want both larger at 3",
			wideWrong, wideDiff, narrowWrong, narrowDiff)
	}
}

func TestPersonaHelpIsAProbability(t *testing.T) {
	for _, p := range sim.NewPersonas(1, 50) {
		for _, s := range sim.Situations() {
			fits := data.Fits(s)
			for _, tool := range fits {
				if h := p.Help(s, tool); h <= 0 || h >= 1 {
					t.Fatalf("persona %d: help of %s in %s = %v, want within (0, 1)", p.Index, tool, s, h)
				}
			}
			if got := p.Help(s, "log_micro_win"); got != 0 {
				t.Errorf("help of a tool without a trait = %v, want 0", got)
			}
			if best := p.Best(s, fits); p.Help(s, best) < p.Help(s, fits[0]) {
				t.Errorf("Best(%s) = %s, which helps less than %s", s, best, fits[0])
			}
		}
	}
}

// norm folds case, punctuation and spacing, so that two phrasings differing
// only in those count as the same.
func norm(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestPoolsAreDisjointFromLabelledData(t *testing.T) {
	known := map[string]string{}
	for _, ex := range append(data.Situations(), data.Replies()...) {
		known[norm(ex.Text)] = "agent/data"
	}
	for _, ex := range eval.Scenarios() {
		known[norm(ex.Input)] = "eval/scenarios.jsonl"
	}
	f, err := os.Open("../embed/testdata/utterances.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if _, text, ok := strings.Cut(sc.Text(), "\t"); ok {
			known[norm(text)] = "embed/testdata/utterances.tsv"
		}
	}
	p := sim.LoadPools()
	seen := map[string]bool{}
	for _, texts := range []map[string][]string{p.Situations, p.Replies} {
		for label, ts := range texts {
			if len(ts) < 20 {
				t.Errorf("%s: %d phrasings, want at least 20", label, len(ts))
			}
			for _, text := range ts {
				if src, ok := known[norm(text)]; ok {
					t.Errorf("%s: %q is also in %s", label, text, src)
				}
				if seen[norm(text)] {
					t.Errorf("%s: %q appears twice", label, text)
				}
				seen[norm(text)] = true
			}
		}
	}
}

func TestRunIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the agent")
	}
	var outs [2][]byte
	for i := range outs {
		res, err := sim.Run(t.Context(), config(t, 6, 3))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := res.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		outs[i] = b.Bytes()
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatalf("two runs with the same seed differ:\n%s\n---\n%s", outs[0], outs[1])
	}
	var res sim.Result
	if err := json.Unmarshal(outs[0], &res); err != nil {
		t.Fatal(err)
	}
	checkShape(t, &res, 6, 3)
}

// checkShape checks what the JSON of a run of users × sessions holds.
func checkShape(t *testing.T, r *sim.Result, users, sessions int) {
	t.Helper()
	if r.Users != users || r.Sessions != sessions || r.Situations != 3 || r.Interval == "" {
		t.Errorf("header %d users, %d sessions, %d situations, interval %q; want %d, %d, 3, an interval",
			r.Users, r.Sessions, r.Situations, r.Interval, users, sessions)
	}
	if got, want := len(r.Policies), len(sim.Policies()); got != want {
		t.Fatalf("got %d policies, want %d", got, want)
	}
	for i, p := range r.Policies {
		if p.Name != sim.Policies()[i] || len(p.Curve) != sessions {
			t.Errorf("policy %d: %q with %d points, want %q with %d", i, p.Name, len(p.Curve), sim.Policies()[i], sessions)
		}
		for _, pt := range p.Curve {
			if pt.Low > pt.Mean || pt.Mean > pt.High || pt.Low < 0 || pt.High > 1 {
				t.Errorf("%s session %d: %v not within [%v, %v] ⊆ [0, 1]", p.Name, pt.Session, pt.Mean, pt.Low, pt.High)
			}
		}
	}
	if r.Late.From != sessions/2+1 || r.Late.To != sessions || r.Late.Test.Users != users || r.Late.Test.P < 0 || r.Late.Test.P > 1 {
		t.Errorf("late comparison %+v, want sessions %d–%d over %d users, p in [0, 1]", r.Late, sessions/2+1, sessions, users)
	}
}

func TestOracleDoesAtLeastAsWellAsRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the agent")
	}
	res, err := sim.Run(t.Context(), config(t, 8, 3))
	if err != nil {
		t.Fatal(err)
	}
	mean := map[string]float64{}
	for _, p := range res.Policies {
		for _, pt := range p.Curve {
			mean[p.Name] += pt.Mean / float64(len(p.Curve))
		}
	}
	if mean[sim.PolicyOracle] < mean[sim.PolicyRandom] {
		t.Errorf("oracle succeeded %.3f, random %.3f; want oracle ≥ random", mean[sim.PolicyOracle], mean[sim.PolicyRandom])
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(*sim.Config)
	}{
		{"no users", func(c *sim.Config) { c.Users = 0 }},
		{"too many sessions", func(c *sim.Config) { c.Sessions = sim.MaxSessions + 1 }},
		{"too many situations", func(c *sim.Config) { c.Situations = len(sim.Situations()) + 1 }},
		{"no store", func(c *sim.Config) { c.OpenStore = nil }},
		{"negative spread", func(c *sim.Config) { c.Spread = -1 }},
		{"spread above the maximum", func(c *sim.Config) { c.Spread = sim.MaxSpread + 0.1 }},
		{"spread not a number", func(c *sim.Config) { c.Spread = math.NaN() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, 2, 2)
			tc.edit(&cfg)
			_, err := sim.Run(t.Context(), cfg)
			if got := steady.ErrorCode(err); got != steady.Invalid {
				t.Errorf("got %v (code %q), want an Invalid error", err, got)
			}
		})
	}
}
