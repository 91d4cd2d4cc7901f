package eval

import (
	"context"
	"regexp"
	"strings"
)

// The phrase lists are Steady's own. Positive phrases validate, encourage or
// pace the user; judgmental ones imply the user failed, should find it easy
// or is at fault — the messages people with ADHD and autism hear too often.
var (
	positivePhrases = []string{
		"you've got this", "you got this", "that's okay", "that's ok", "it's okay", "it's ok",
		"one step at a time", "nice work", "well done", "great job", "good job",
		"it makes sense", "that makes sense", "makes total sense", "you're not alone",
		"take your time", "no rush", "be kind to yourself", "proud of you", "you did it",
		"small step", "that counts", "that's progress", "it's understandable",
	}
	judgmentalPhrases = []string{
		"just do it", "you should have", "why didn't you", "why can't you", "that's easy",
		"it's easy", "it's not hard", "stop being", "lazy", "no excuse", "try harder",
		"just focus", "get over it", "what's wrong with you", "just calm down",
	}
	positiveRE   = phraseRE(positivePhrases)
	judgmentalRE = phraseRE(judgmentalPhrases)
)

// phraseRE matches any of the phrases as whole words, so "lazy" does not
// match inside "lazybones".
func phraseRE(phrases []string) *regexp.Regexp {
	quoted := make([]string, len(phrases))
	for i, p := range phrases {
		quoted[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`\b(?:` + strings.Join(quoted, "|") + `)\b`)
}

// Supportiveness judges the tone of the reply from positive and judgmental
// phrases (case-insensitive, typographic apostrophes allowed).
//
// score = clamp(0.5 + 0.15·positive − 0.25·judgmental, 0, 1): neutral text
// is 0.5, each positive phrase lifts it, and a judgmental phrase costs more
// than a positive one earns, because one "just do it" can undo a whole kind
// reply for someone already ashamed of struggling.
type Supportiveness struct{}

func (Supportiveness) Name() string { return "supportiveness" }

// Score reports score, positive and judgmental (phrase counts).
func (Supportiveness) Score(_ context.Context, _ Example, out Output) (Result, error) {
	p, j := phraseCounts(out.Response)
	return Result{ScoreKey: supportScore(p, j), "positive": p, "judgmental": j}, nil
}

func supportiveness(text string) float64 { return supportScore(phraseCounts(text)) }

func phraseCounts(text string) (positive, judgmental int) {
	t := strings.ToLower(strings.NewReplacer("’", "'", "‘", "'").Replace(text))
	return len(positiveRE.FindAllStringIndex(t, -1)), len(judgmentalRE.FindAllStringIndex(t, -1))
}

func supportScore(positive, judgmental int) float64 {
	return min(1, max(0, 0.5+0.15*float64(positive)-0.25*float64(judgmental)))
}
