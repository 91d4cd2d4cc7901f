package data_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/steady-voice/steady/agent/data"
)

// tools are Steady's 13 support tools.
var tools = []string{
	"schedule_checkin", "get_time_since_last_checkin", "log_micro_win",
	"create_microsteps", "get_current_step", "mark_step_complete", "get_current_time", "create_reminder",
	"start_breathing_exercise", "sensory_check", "grounding_exercise", "suggest_break", "reframe_thought",
}

const (
	referencePath = "../../embed/testdata/utterances.tsv"
	scenariosPath = "../../eval/scenarios.jsonl"
)

// TestEmbeddedParses proves the files on disk parse and are the ones
// embedded: the package's init has already parsed them (or this test binary
// would have panicked), and here each is parsed again and compared.
func TestEmbeddedParses(t *testing.T) {
	for name, got := range map[string][]data.Example{
		"situations.tsv": data.Situations(),
		"replies.tsv":    data.Replies(),
		"thoughts.tsv":   data.Thoughts(),
	} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := data.Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: embedded examples differ from the file", name)
		}
		if header, _, _ := strings.Cut(string(b), "\n"); !strings.HasSuffix(header, "\tutterance") {
			t.Errorf("%s: header %q, want <label column>\\tutterance", name, header)
		}
	}
}

func TestCounts(t *testing.T) {
	check := func(t *testing.T, exs []data.Example, labels []string, minimum func(string) int) {
		t.Helper()
		counts := map[string]int{}
		for _, ex := range exs {
			if !slices.Contains(labels, ex.Label) {
				t.Errorf("unknown label %q on %q", ex.Label, ex.Text)
			}
			counts[ex.Label]++
		}
		for _, l := range labels {
			if counts[l] < minimum(l) {
				t.Errorf("%s: %d examples, want at least %d", l, counts[l], minimum(l))
			}
		}
		t.Logf("%d examples: %v", len(exs), counts)
	}
	t.Run("situations", func(t *testing.T) {
		check(t, data.Situations(), data.SituationNames(), func(l string) int {
			if l == data.NoTool {
				return 40
			}
			return 25
		})
	})
	t.Run("replies", func(t *testing.T) {
		want := []string{"re_engaged", "distracted", "struggling"}
		if got := data.ReplyLabels(); !slices.Equal(got, want) {
			t.Errorf("ReplyLabels() = %v, want %v", got, want)
		}
		check(t, data.Replies(), want, func(string) int { return 40 })
	})
	t.Run("thoughts", func(t *testing.T) {
		want := []string{"perfectionism", "catastrophizing", "rsd", "overwhelm", "imposter"}
		if got := data.ThoughtTypes(); !slices.Equal(got, want) {
			t.Errorf("ThoughtTypes() = %v, want %v", got, want)
		}
		check(t, data.Thoughts(), want, func(string) int { return 12 })
	})
}

// norm folds case, punctuation and spacing, so that "Done!" and "done"
// count as the same utterance.
func norm(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// utterances returns every utterance this package and the evaluation
// dataset hold, each named by where it comes from.
func utterances(t *testing.T) map[string][]data.Example {
	t.Helper()
	m := map[string][]data.Example{
		"situations.tsv": data.Situations(),
		"replies.tsv":    data.Replies(),
		"thoughts.tsv":   data.Thoughts(),
	}
	for _, sc := range readScenarios(t) {
		m["scenarios.jsonl"] = append(m["scenarios.jsonl"], data.Example{Label: sc.ID, Text: sc.Input})
	}
	return m
}

func TestNoDuplicates(t *testing.T) {
	seen := map[string]string{} // normalised text → where first seen
	for name, exs := range utterances(t) {
		for _, ex := range exs {
			k := norm(ex.Text)
			if k == "" {
				t.Errorf("%s: %q has no letters or digits", name, ex.Text)
				continue
			}
			where := fmt.Sprintf("%s (%s)", name, ex.Label)
			if first, dup := seen[k]; dup {
				t.Errorf("%q in %s duplicates one in %s", ex.Text, where, first)
				continue
			}
			seen[k] = where
		}
	}
}

// TestNotInReference checks that no utterance repeats one in the embedding
// package's labelled utterances, which have the same two-column format with
// a "situation\ttext" header.
func TestNotInReference(t *testing.T) {
	b, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatal(err)
	}
	if header, _, _ := strings.Cut(string(b), "\n"); header != "situation\ttext" {
		t.Fatalf("%s: header %q, want situation\\ttext; has its format changed?", referencePath, header)
	}
	ref, err := data.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", referencePath, err)
	}
	if len(ref) < 100 {
		t.Fatalf("%s: only %d utterances", referencePath, len(ref))
	}
	taken := map[string]bool{}
	for _, ex := range ref {
		taken[norm(ex.Text)] = true
	}
	for name, exs := range utterances(t) {
		for _, ex := range exs {
			if taken[norm(ex.Text)] {
				t.Errorf("%s: %q is also in %s", name, ex.Text, referencePath)
			}
		}
	}
}

func TestFits(t *testing.T) {
	names := data.SituationNames()
	if len(names) != 15 || names[len(names)-1] != data.NoTool {
		t.Errorf("SituationNames() = %v, want 15 with %s last", names, data.NoTool)
	}
	covered := map[string]bool{}
	for _, s := range names {
		fits := data.Fits(s)
		if s == data.NoTool {
			if len(fits) != 0 {
				t.Errorf("Fits(%s) = %v, want none", s, fits)
			}
			continue
		}
		if len(fits) == 0 {
			t.Errorf("Fits(%s) is empty", s)
		}
		for i, tool := range fits {
			if !slices.Contains(tools, tool) {
				t.Errorf("Fits(%s): %q is not a support tool", s, tool)
			}
			if slices.Contains(fits[:i], tool) {
				t.Errorf("Fits(%s): %q twice", s, tool)
			}
			covered[tool] = true
		}
	}
	for _, tool := range tools {
		if !covered[tool] && tool != "get_time_since_last_checkin" && tool != "create_reminder" {
			// Every tool but the two that only answer a direct request
			// should suit some situation.
			t.Errorf("no situation fits %s", tool)
		}
	}
	if data.Fits("no_such_situation") != nil {
		t.Error("Fits of an unknown situation is not nil")
	}
	f := data.Fits("overwhelm")
	f[0] = "changed"
	if data.Fits("overwhelm")[0] == "changed" {
		t.Error("Fits returns the table's own slice")
	}
	n := data.SituationNames()
	n[0] = "changed"
	if data.SituationNames()[0] == "changed" {
		t.Error("SituationNames returns the package's own slice")
	}
	s := data.Situations()
	s[0].Text = "changed"
	if data.Situations()[0].Text == "changed" {
		t.Error("Situations returns the package's own slice")
	}
}

// scenario mirrors eval.Example, including the acceptable_tools and no_tool
// fields; it is decoded strictly so a misspelt field fails.
type scenario struct {
	ID              string         `json:"id"`
	Input           string         `json:"input"`
	ExpectedTool    string         `json:"expected_tool,omitempty"`
	AcceptableTools []string       `json:"acceptable_tools,omitempty"`
	NoTool          bool           `json:"no_tool,omitempty"`
	Context         string         `json:"context,omitempty"`
	Task            string         `json:"task,omitempty"`
	Metadata        map[string]any `json:"metadata,omitempty"`
}

func readScenarios(t *testing.T) []scenario {
	t.Helper()
	f, err := os.Open(scenariosPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []scenario
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var s scenario
		if err := dec.Decode(&s); err != nil {
			t.Fatalf("%s:%d: %v", scenariosPath, line, err)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			t.Fatalf("%s:%d: more than one value on the line", scenariosPath, line)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestScenarios(t *testing.T) {
	rows := readScenarios(t)
	if len(rows) < 45 {
		t.Errorf("%d scenarios, want at least 45", len(rows))
	}
	ids := map[string]bool{}
	expected := map[string]int{}
	categories := map[string]int{}
	noTool := 0
	for _, r := range rows {
		where := fmt.Sprintf("scenario %q", r.ID)
		if r.ID == "" || ids[r.ID] {
			t.Errorf("%s: empty or repeated id", where)
		}
		ids[r.ID] = true
		if strings.TrimSpace(r.Input) == "" || r.Context == "" {
			t.Errorf("%s: empty input or context", where)
		}
		cat, _ := r.Metadata["category"].(string)
		if !slices.Contains(data.SituationNames(), cat) {
			t.Errorf("%s: metadata.category %q is not a situation", where, cat)
		}
		categories[cat]++
		if r.NoTool {
			noTool++
			if r.ExpectedTool != "" || len(r.AcceptableTools) > 0 {
				t.Errorf("%s: no_tool with tools", where)
			}
			if cat != data.NoTool {
				t.Errorf("%s: no_tool in category %s", where, cat)
			}
			continue
		}
		if cat == data.NoTool {
			t.Errorf("%s: category %s without no_tool", where, cat)
		}
		if !slices.Contains(tools, r.ExpectedTool) {
			t.Errorf("%s: expected_tool %q is not a support tool", where, r.ExpectedTool)
		}
		if !slices.Contains(data.Fits(cat), r.ExpectedTool) {
			t.Errorf("%s: expected_tool %s does not fit %s (%v)", where, r.ExpectedTool, cat, data.Fits(cat))
		}
		expected[r.ExpectedTool]++
		for i, tool := range r.AcceptableTools {
			if !slices.Contains(tools, tool) || tool == r.ExpectedTool || slices.Contains(r.AcceptableTools[:i], tool) {
				t.Errorf("%s: acceptable tool %q is unknown, repeated or the expected one", where, tool)
			}
		}
	}
	for _, tool := range tools {
		if expected[tool] < 2 {
			t.Errorf("%d scenarios expect %s, want at least 2", expected[tool], tool)
		}
	}
	for _, s := range data.SituationNames() {
		if categories[s] == 0 {
			t.Errorf("no scenario in category %s", s)
		}
	}
	if noTool < 6 {
		t.Errorf("%d no_tool scenarios, want at least 6", noTool)
	}
}

func TestParse(t *testing.T) {
	ok := "label\ttext\r\n\nfoo\t hello there \nbar_2\tx\n"
	got, err := data.Parse(strings.NewReader(ok))
	if err != nil {
		t.Fatal(err)
	}
	want := []data.Example{{"foo", "hello there"}, {"bar_2", "x"}}
	if !slices.Equal(got, want) {
		t.Errorf("Parse = %v, want %v", got, want)
	}
	if got, err := data.Parse(strings.NewReader("a\tb")); err != nil || len(got) != 0 {
		t.Errorf("header only: %v, %v", got, err)
	}
	for _, tc := range []struct{ in, err string }{
		{"", "no header line"},
		{"\n  \n", "no header line"},
		{"onlyone\n", "line 1: 1 tab-separated columns, want 2"},
		{"a\t\n", "line 1: header has an empty column name"},
		{"a\tb\nfoo\n", "line 2: 1 tab-separated columns, want 2"},
		{"a\tb\n\nfoo\tbar\tbaz\n", "line 3: 3 tab-separated columns, want 2"},
		{"a\tb\n\tbar\n", "line 2: empty label"},
		{"a\tb\nFoo\tbar\n", `line 2: label "Foo": want lower-case letters, digits and '_'`},
		{"a\tb\nfoo bar\tbaz\n", `line 2: label "foo bar": want lower-case letters, digits and '_'`},
		{"a\tb\nfoo\t  \n", "line 2: empty text"},
		{"a\tb\nfoo\t\xff\n", "line 2: not valid UTF-8"},
		{"a\tb\nfoo\t" + strings.Repeat("x", data.MaxLineBytes) + "\n", fmt.Sprintf("line 2: longer than %d bytes", data.MaxLineBytes)},
	} {
		if _, err := data.Parse(strings.NewReader(tc.in)); err == nil || err.Error() != tc.err {
			t.Errorf("Parse(%.40q) error = %v, want %q", tc.in, err, tc.err)
		}
	}
}

// FuzzParse checks that Parse never panics, that what it accepts is well
// formed, and that writing the examples back out reads back the same.
func FuzzParse(f *testing.F) {
	// The head of each real file: whole files (tens of kilobytes) make
	// coverage-guided mutation crawl, and TestEmbeddedParses reads them all.
	for _, name := range []string{"situations.tsv", "replies.tsv", "thoughts.tsv"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		lines := strings.SplitAfterN(string(b), "\n", 9)
		f.Add([]byte(strings.Join(lines[:8], "")))
	}
	f.Add([]byte("a\tb\r\nx\ty\n\n"))
	f.Add([]byte("a\tb\nx\t\ty\n"))
	f.Add([]byte("\t\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		exs, err := data.Parse(bytes.NewReader(b))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") && err.Error() != "no header line" {
				t.Fatalf("error does not name a line: %v", err)
			}
			return
		}
		var out strings.Builder
		out.WriteString("label\ttext\n")
		for _, ex := range exs {
			if ex.Label == "" || strings.TrimSpace(ex.Text) != ex.Text || ex.Text == "" ||
				strings.ContainsAny(ex.Label+ex.Text, "\t\n") {
				t.Fatalf("malformed example %q", ex)
			}
			fmt.Fprintf(&out, "%s\t%s\n", ex.Label, ex.Text)
		}
		again, err := data.Parse(strings.NewReader(out.String()))
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !slices.Equal(exs, again) {
			t.Fatalf("round trip changed examples:\n%q\n%q", exs, again)
		}
	})
}
