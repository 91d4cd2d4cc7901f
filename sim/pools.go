package sim

import (
	"bytes"
	"embed"
	"fmt"
	"slices"

	"github.com/steady-voice/steady/agent/data"
)

// The simulated users' words, written for the simulator and kept apart
// from every labelled example the agent learns or is evaluated on (a test
// checks), so the agent never hears a sentence it was built from:
//
//   - data/situations.tsv: ways of raising each situation;
//   - data/replies.tsv: what a user says after a tool, "helped" or
//     "not_helped".

// Reply labels in data/replies.tsv.
const (
	Helped    = "helped"
	NotHelped = "not_helped"
)

// minPool is the least number of phrasings of each situation and reply.
const minPool = 20

//go:embed data/*.tsv
var files embed.FS

// Pools are the phrasings simulated users draw from.
type Pools struct {
	Situations map[string][]string // situation → ways to say it
	Replies    map[string][]string // Helped / NotHelped → replies
}

var pools = mustPools()

// LoadPools returns the embedded phrasings. The caller may modify them.
func LoadPools() Pools {
	p := Pools{Situations: map[string][]string{}, Replies: map[string][]string{}}
	for k, v := range pools.Situations {
		p.Situations[k] = slices.Clone(v)
	}
	for k, v := range pools.Replies {
		p.Replies[k] = slices.Clone(v)
	}
	return p
}

func mustPools() Pools {
	sits, err := readPool("data/situations.tsv", situations)
	if err == nil {
		var replies map[string][]string
		if replies, err = readPool("data/replies.tsv", []string{Helped, NotHelped}); err == nil {
			return Pools{Situations: sits, Replies: replies}
		}
	}
	panic(fmt.Sprintf("sim: %v", err)) // the files are compiled in; the tests load them
}

// readPool parses an embedded file and checks that every label is known
// and has at least minPool phrasings.
func readPool(name string, labels []string) (map[string][]string, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, err
	}
	exs, err := data.Parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := map[string][]string{}
	for _, ex := range exs {
		if !slices.Contains(labels, ex.Label) {
			return nil, fmt.Errorf("%s: unknown label %q", name, ex.Label)
		}
		out[ex.Label] = append(out[ex.Label], ex.Text)
	}
	for _, l := range labels {
		if len(out[l]) < minPool {
			return nil, fmt.Errorf("%s: %d phrasings of %s, want at least %d", name, len(out[l]), l, minPool)
		}
	}
	return out, nil
}
