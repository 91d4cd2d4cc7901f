package eval

import (
	"encoding/json"
	"sort"
)

// Summarize condenses one scorer's results over a run the way W&B Weave's
// auto-summarize does: a number becomes {"mean": …}, a boolean becomes
// {"true_count": …, "true_fraction": …}, a nested map is summarised key by
// key, and strings and other values are left out. Each key is summarised
// over the results in which it appears, so a field a scorer reports only
// sometimes is not diluted by the rows that lack it. Nil results are
// skipped.
func Summarize(results []Result) Result {
	acc := newAccum()
	for _, r := range results {
		acc.addMap(r)
	}
	return acc.children()
}

// accum gathers every value seen under one key.
type accum struct {
	sum          float64
	nums         int
	trues, bools int
	kids         map[string]*accum
}

func newAccum() *accum { return &accum{kids: map[string]*accum{}} }

func (a *accum) addMap(m map[string]any) {
	for k, v := range m {
		kid, ok := a.kids[k]
		if !ok {
			kid = newAccum()
			a.kids[k] = kid
		}
		kid.add(v)
	}
}

func (a *accum) add(v any) {
	if f, ok := number(v); ok {
		a.sum += f
		a.nums++
		return
	}
	switch v := v.(type) {
	case bool:
		a.bools++
		if v {
			a.trues++
		}
	case Result:
		a.addMap(v)
	case map[string]any:
		a.addMap(v)
	}
}

// summary is the accumulated key's summary, or nil when nothing in it can
// be summarised (strings only).
func (a *accum) summary() Result {
	s := a.children()
	if a.nums > 0 {
		s["mean"] = a.sum / float64(a.nums)
	}
	if a.bools > 0 {
		s["true_count"] = a.trues
		s["true_fraction"] = float64(a.trues) / float64(a.bools)
	}
	if len(s) == 0 {
		return nil
	}
	return s
}

func (a *accum) children() Result {
	s := Result{}
	for k, kid := range a.kids {
		if ks := kid.summary(); ks != nil {
			s[k] = ks
		}
	}
	return s
}

// number reports v as a float64 if it is any Go or JSON number.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Flatten lists r's numbers by dotted path ("parts.brevity"), booleans as
// 1 or 0, and leaves strings out. It suits stores that keep flat numeric
// scores, such as the trace store's feedback on a call, when scoring live
// calls rather than a dataset.
func (r Result) Flatten() map[string]float64 {
	out := map[string]float64{}
	flattenResult(out, "", r)
	return out
}

func flattenResult(out map[string]float64, prefix string, m map[string]any) {
	for k, v := range m {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if f, ok := number(v); ok {
			out[path] = f
			continue
		}
		switch v := v.(type) {
		case bool:
			out[path] = 0
			if v {
				out[path] = 1
			}
		case Result:
			flattenResult(out, path, v)
		case map[string]any:
			flattenResult(out, path, v)
		}
	}
}
