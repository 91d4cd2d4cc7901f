package sim

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// raise is one situation a user raises in a session, with everything
// random about it drawn in advance from the user's and the session's own
// stream: every policy meets the same words and the same luck (common
// random numbers), so their differences are the policies' alone.
type raise struct {
	Situation string
	Text      string     // how the user raises it
	Retry     string     // what they say when the first tool did not help: that, and the situation again
	Thanks    [2]string  // what they say when attempt i helped
	U         [2]float64 // attempt i helped when U[i] < the persona's help probability of its tool
}

// plan draws the k situations (all different) user raises in session.
func plan(seed uint64, user, session, k int) []raise {
	rng := stream(seed, purposeSession, uint64(user), uint64(session))
	order := rng.Perm(len(situations))[:k]
	out := make([]raise, k)
	yes, no := pools.Replies[Helped], pools.Replies[NotHelped]
	for i, si := range order {
		s := situations[si]
		texts := pools.Situations[s]
		a := rng.IntN(len(texts))
		b := (a + 1 + rng.IntN(len(texts)-1)) % len(texts) // another phrasing
		out[i] = raise{
			Situation: s,
			Text:      texts[a],
			Retry:     no[rng.IntN(len(no))] + ", " + lowerFirst(texts[b]),
			Thanks:    [2]string{yes[rng.IntN(len(yes))], yes[rng.IntN(len(yes))]},
			U:         [2]float64{rng.Float64(), rng.Float64()},
		}
	}
	return out
}

// lowerFirst lower-cases the first letter, so a sentence can follow a
// comma; "I" stays as it is.
func lowerFirst(s string) string {
	if strings.HasPrefix(s, "I ") || strings.HasPrefix(s, "I'") {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
