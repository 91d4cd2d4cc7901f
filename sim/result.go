package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// Interval is the method behind every confidence interval of a Result.
const Interval = "95% normal approximation over users: mean ± 1.96·sd/√n of the users' session success rates, clipped to [0, 1]"

// Result is what a run measured. Its JSON is the same, byte for byte, for
// the same Config (apart from the store and the workers).
type Result struct {
	Users      int            `json:"users"`
	Sessions   int            `json:"sessions"`
	Situations int            `json:"situations_per_session"`
	Seed       uint64         `json:"seed"`
	Spread     float64        `json:"spread"`
	Success    string         `json:"success"`
	Interval   string         `json:"interval"`
	Personas   PersonaStats   `json:"personas"`
	Policies   []PolicyResult `json:"policies"`
	Late       Late           `json:"late"`
}

// PersonaStats describes the spread of the simulated users.
type PersonaStats struct {
	// TextbookWrong is the share of (user, situation) pairs in which
	// another fitting tool is more likely to help than the textbook one.
	TextbookWrong float64 `json:"textbook_wrong"`
	// UsersTextbookWrong is the share of users with at least one such
	// situation.
	UsersTextbookWrong float64 `json:"users_textbook_wrong"`
	// BestHelp and TextbookHelp are the mean help probabilities of the
	// best fitting tool and of the textbook one.
	BestHelp     float64 `json:"best_help"`
	TextbookHelp float64 `json:"textbook_help"`
}

// PolicyResult is one policy's learning curve.
type PolicyResult struct {
	Name     string  `json:"name"`
	Curve    []Point `json:"curve"`     // success by session index
	LateMean float64 `json:"late_mean"` // mean success over the late sessions
	// Recognised is the share of situations whose first words the engine
	// recognised as the situation they were.
	Recognised float64 `json:"recognised"`
	// JudgedRight is the share of scored first tools whose stored score
	// (helped or not) matches what happened.
	JudgedRight float64 `json:"judged_right"`
}

// Point is the success rate of one session index over users.
type Point struct {
	Session int     `json:"session"`
	Mean    float64 `json:"mean"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
}

// Late compares the policies over the late sessions, From–To: the second
// half of the run (6–10 of 10).
type Late struct {
	From               int        `json:"from"`
	To                 int        `json:"to"`
	MemoryOverOracle   float64    `json:"memory_over_oracle"`
	NoMemoryOverOracle float64    `json:"no_memory_over_oracle"`
	Test               PairedTest `json:"memory_vs_no_memory"`
}

// lateFrom is the first late session: the second half of the run.
func lateFrom(sessions int) int { return sessions/2 + 1 }

func summarise(cfg Config, personas []Persona, names []string, outs [][][][]outcome) *Result {
	r := &Result{Users: cfg.Users, Sessions: cfg.Sessions, Situations: cfg.Situations, Seed: cfg.Seed, Spread: cfg.Spread,
		Success:  "a situation succeeds when the first tool the agent chose helped; a session's rate is its successes over its situations",
		Interval: Interval, Personas: personaStats(personas)}
	r.Late = Late{From: lateFrom(cfg.Sessions), To: cfg.Sessions}
	late := map[string][]float64{}
	for i, name := range names {
		p, perUser := policyResult(name, outs[i], r.Late.From)
		r.Policies = append(r.Policies, p)
		late[name] = perUser
	}
	lm := map[string]float64{}
	for _, p := range r.Policies {
		lm[p.Name] = p.LateMean
	}
	r.Late.MemoryOverOracle = round(ratio(lm[PolicyMemory], lm[PolicyOracle]))
	r.Late.NoMemoryOverOracle = round(ratio(lm[PolicyNoMemory], lm[PolicyOracle]))
	r.Late.Test = roundTest(pairedT(late[PolicyMemory], late[PolicyNoMemory]))
	r.Late.Test.A, r.Late.Test.B = PolicyMemory, PolicyNoMemory
	return r
}

// policyResult aggregates one policy's outcomes (user → session →
// situation); it also returns each user's late success rate.
func policyResult(name string, outs [][][]outcome, from int) (PolicyResult, []float64) {
	p := PolicyResult{Name: name}
	sessions := len(outs[0])
	var rec, judged, scored, n int
	lateRates := make([]float64, len(outs))
	for j := range sessions {
		rates := make([]float64, len(outs))
		for u := range outs {
			rates[u] = rate(outs[u][j])
			if j+1 >= from {
				lateRates[u] += rates[u] / float64(sessions-from+1)
			}
			for _, o := range outs[u][j] {
				n++
				rec += b2i(o.Recognised)
				if o.Judged >= 0 {
					scored++
					judged += o.Judged
				}
			}
		}
		m, lo, hi := meanCI(rates)
		p.Curve = append(p.Curve, Point{Session: j + 1, Mean: round(m), Low: round(lo), High: round(hi)})
	}
	mean, _ := meanSD(lateRates)
	p.LateMean = round(mean)
	p.Recognised = round(ratio(float64(rec), float64(n)))
	p.JudgedRight = round(ratio(float64(judged), float64(scored)))
	return p, lateRates
}

func personaStats(ps []Persona) PersonaStats {
	var st PersonaStats
	var pairs, wrong, users int
	for _, p := range ps {
		any := false
		for _, s := range situations {
			fits := tools(s)
			pairs++
			st.BestHelp += p.Help(s, p.Best(s, fits))
			st.TextbookHelp += p.Help(s, fits[0])
			if p.TextbookWrong(s) {
				wrong++
				any = true
			}
		}
		users += b2i(any)
	}
	st.TextbookWrong = round(ratio(float64(wrong), float64(pairs)))
	st.UsersTextbookWrong = round(ratio(float64(users), float64(len(ps))))
	st.BestHelp = round(ratio(st.BestHelp, float64(pairs)))
	st.TextbookHelp = round(ratio(st.TextbookHelp, float64(pairs)))
	return st
}

func rate(os []outcome) float64 {
	k := 0
	for _, o := range os {
		k += b2i(o.Success)
	}
	return ratio(float64(k), float64(len(os)))
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// round keeps four decimals: the JSON stays readable, and no figure claims
// more precision than a few hundred users give.
func round(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	return math.Round(x*1e4) / 1e4
}

func roundTest(t PairedTest) PairedTest {
	t.MeanDiff, t.Low, t.High, t.T = round(t.MeanDiff), round(t.Low), round(t.High), round(t.T)
	if t.P >= 1e-4 {
		t.P = round(t.P)
	}
	return t
}

// WriteJSON writes r as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r as a tab-separated table (for a tabwriter) and the
// late-session comparison under it.
func (r *Result) WriteText(w io.Writer) error {
	fmt.Fprint(w, "session")
	for _, p := range r.Policies {
		fmt.Fprintf(w, "\t%s", p.Name)
	}
	fmt.Fprintln(w)
	for j := range r.Sessions {
		fmt.Fprintf(w, "%d", j+1)
		for _, p := range r.Policies {
			pt := p.Curve[j]
			fmt.Fprintf(w, "\t%.2f [%.2f, %.2f]", pt.Mean, pt.Low, pt.High)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%d–%d", r.Late.From, r.Late.To)
	for _, p := range r.Policies {
		fmt.Fprintf(w, "\t%.3f", p.LateMean)
	}
	fmt.Fprintln(w)
	_, err := fmt.Fprint(w, r.summary())
	return err
}

// summary is the late comparison in words, without tabs.
func (r *Result) summary() string {
	t := r.Late.Test
	return fmt.Sprintf("\nsessions %d–%d: memory/oracle %.3f, no-memory/oracle %.3f\n"+
		"memory − no-memory %+.3f (95%% CI %+.3f to %+.3f), %s over %d users: t = %.2f, df = %d, p %s\n"+
		"people differ by spread %.2g: the best fitting tool helps %.0f%% of the time, the textbook one %.0f%%; "+
		"users whose textbook tool is wrong somewhere: %.0f%%\n"+
		"situations recognised from the first words: %.0f%%\n"+
		"intervals: %s\n",
		r.Late.From, r.Late.To, r.Late.MemoryOverOracle, r.Late.NoMemoryOverOracle,
		t.MeanDiff, t.Low, t.High, t.Method, t.Users, t.T, t.DF, pValue(t.P),
		r.Spread, 100*r.Personas.BestHelp, 100*r.Personas.TextbookHelp,
		100*r.Personas.UsersTextbookWrong, 100*r.Policies[0].Recognised, r.Interval)
}

func pValue(p float64) string {
	if p < 1e-4 {
		return "< 0.0001"
	}
	return fmt.Sprintf("= %.4f", p)
}
