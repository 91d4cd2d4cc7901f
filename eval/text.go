package eval

import (
	"strings"
)

// CountWords counts runs of non-space characters.
func CountWords(s string) int { return len(strings.Fields(s)) }

// abbreviations end in a period without ending a sentence.
var abbreviations = map[string]bool{
	"e.g.": true, "i.e.": true, "etc.": true, "vs.": true, "approx.": true,
	"mr.": true, "mrs.": true, "ms.": true, "dr.": true, "st.": true,
}

// CountSentences counts sentences the way a listener hears them. A word
// ends a sentence when it ends in '.', '!' or '?' (closing quotes and
// brackets aside), so "3.5" or "steady.app" do not, and a run such as "?!"
// ends only one. Two exceptions keep short replies short: abbreviations
// ("e.g.", "etc.", "Dr.") and ellipses ("...", "…"), which speakers use
// as a pause ("That's okay… let's breathe.") rather than a stop. Text after
// the last terminator counts as one more sentence; empty text has none.
func CountSentences(s string) int {
	words := strings.Fields(s)
	n := 0
	for _, w := range words {
		if endsSentence(w) {
			n++
		}
	}
	if len(words) > 0 && !endsSentence(words[len(words)-1]) {
		n++
	}
	return n
}

func endsSentence(word string) bool {
	w := strings.TrimRight(word, `"')]}”’»`)
	if w == "" || !strings.ContainsAny(w[len(w)-1:], ".!?") {
		return false
	}
	if strings.HasSuffix(w, "..") || strings.HasSuffix(w, "…") {
		return false
	}
	return !abbreviations[strings.ToLower(w)]
}
