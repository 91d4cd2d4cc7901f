package embed_test

import (
	"strings"
	"testing"

	"github.com/steady-voice/steady/embed"
)

// FuzzParseLabelled checks that ParseLabelled never panics and that a set it
// accepts holds only rows EvaluateRetrieval can use: a situation label and a
// one-line text that an Embedder will not reject as empty.
func FuzzParseLabelled(f *testing.F) {
	for _, seed := range []string{
		"situation\ttext\n",
		"situation\ttext\noverwhelm\ttoo many things at once\n",
		"situation\ttext\r\nfatigue\tso tired\r\n\r\nsmall_talk\thi",
		"situation\ttext\n\n   \nfatigue\t  so tired  \n",
		"situation\ttext\nfatigue\tso\ttired\n",
		"situation\ttext\n\tno label\n",
		"situation\ttext\nfatigue\t   \n",
		"situation\ttext\nno tab at all\n",
		"situation text\nfatigue\tso tired\n",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		set, err := embed.ParseLabelled(strings.NewReader(in))
		if err != nil {
			return
		}
		for i, u := range set {
			checkLabelled(t, i, u)
		}
	})
}

func checkLabelled(t *testing.T, i int, u embed.Labelled) {
	t.Helper()
	if u.Situation == "" || strings.ContainsAny(u.Situation, "\t\n") {
		t.Errorf("item %d: situation %q, want a non-empty label without tab or newline", i, u.Situation)
	}
	if strings.TrimSpace(u.Text) == "" || strings.ContainsAny(u.Text, "\t\n") {
		t.Errorf("item %d: text %q, want a non-blank line without tab or newline", i, u.Text)
	}
}
