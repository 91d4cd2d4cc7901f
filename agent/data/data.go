// Package data holds Steady's labelled example utterances, written for this
// project and embedded in the binary:
//
//   - situations.tsv: what a user says, labelled with the situation it shows
//     (overwhelm, task_paralysis, small_talk, ...). Fits maps each situation
//     to the support tools that suit it, so an offline policy can choose a
//     tool without a model.
//   - replies.tsv: what a user says after an intervention, labelled with its
//     outcome (re_engaged, distracted, struggling).
//   - thoughts.tsv: negative thoughts labelled with the thought_type that
//     reframe_thought takes.
//
// Each file is tab-separated with a header line, one "label<TAB>utterance"
// pair a line; Parse reads that format. The embedded files are parsed and
// checked when the package is initialised, and the package's tests prove
// that this succeeds, so a broken file fails the build's tests rather than a
// release.
package data

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Example is one labelled utterance.
type Example struct {
	Label string // situation, outcome or thought type
	Text  string // what the user said
}

// NoTool is the situation for which the right answer is no tool at all.
const NoTool = "small_talk"

// Outcome labels in replies.tsv.
const (
	ReEngaged  = "re_engaged"
	Distracted = "distracted"
	Struggling = "struggling"
)

// situationNames lists the situations in a fixed order; fits says which
// tools suit each, the textbook choice first.
var situationNames = []string{
	"overwhelm",
	"anxiety",
	"sensory_overload",
	"task_paralysis",
	"new_task",
	"step_done",
	"task_done",
	"whats_next",
	"time_question",
	"reminder_request",
	"checkin_request",
	"fatigue",
	"negative_self_talk",
	"distracted",
	NoTool,
}

var fits = map[string][]string{
	"overwhelm":          {"grounding_exercise", "start_breathing_exercise", "reframe_thought", "suggest_break"},
	"anxiety":            {"start_breathing_exercise", "grounding_exercise"},
	"sensory_overload":   {"sensory_check", "suggest_break", "grounding_exercise"},
	"task_paralysis":     {"create_microsteps"},
	"new_task":           {"create_microsteps", "schedule_checkin"},
	"step_done":          {"mark_step_complete", "log_micro_win"},
	"task_done":          {"log_micro_win"},
	"whats_next":         {"get_current_step"},
	"time_question":      {"get_current_time", "get_time_since_last_checkin"},
	"reminder_request":   {"create_reminder"},
	"checkin_request":    {"schedule_checkin"},
	"fatigue":            {"suggest_break", "start_breathing_exercise"},
	"negative_self_talk": {"reframe_thought"},
	"distracted":         {"get_current_step", "schedule_checkin", "grounding_exercise"},
	NoTool:               nil,
}

var (
	replyLabels  = []string{ReEngaged, Distracted, Struggling}
	thoughtTypes = []string{"perfectionism", "catastrophizing", "rsd", "overwhelm", "imposter"}
)

//go:embed *.tsv
var files embed.FS

var (
	situations = mustLoad("situations.tsv", situationNames)
	replies    = mustLoad("replies.tsv", replyLabels)
	thoughts   = mustLoad("thoughts.tsv", thoughtTypes)
)

// Situations returns the labelled situation examples, in file order. The
// caller may modify the slice.
func Situations() []Example { return slices.Clone(situations) }

// Replies returns the labelled post-intervention replies, in file order.
func Replies() []Example { return slices.Clone(replies) }

// Thoughts returns the negative thoughts labelled with reframe_thought's
// thought_type, in file order.
func Thoughts() []Example { return slices.Clone(thoughts) }

// Fits returns the support tools that suit a situation, the textbook choice
// first; it returns nil for NoTool and for an unknown situation. The slice
// is a copy.
func Fits(situation string) []string { return slices.Clone(fits[situation]) }

// SituationNames returns every situation, NoTool last.
func SituationNames() []string { return slices.Clone(situationNames) }

// ReplyLabels returns the outcome labels used in Replies.
func ReplyLabels() []string { return slices.Clone(replyLabels) }

// ThoughtTypes returns the thought types used in Thoughts, as
// reframe_thought names them.
func ThoughtTypes() []string { return slices.Clone(thoughtTypes) }

// mustLoad parses an embedded file and checks its labels. It panics on
// error: the files are compiled in, and the package's tests load them.
func mustLoad(name string, labels []string) []Example {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("data: %v", err))
	}
	exs, err := Parse(bytes.NewReader(b))
	if err != nil {
		panic(fmt.Sprintf("data: %s: %v", name, err))
	}
	for i, ex := range exs {
		if !slices.Contains(labels, ex.Label) {
			panic(fmt.Sprintf("data: %s: example %d: unknown label %q", name, i+1, ex.Label))
		}
	}
	return exs
}

// MaxLineBytes is the longest line Parse accepts.
const MaxLineBytes = 64 << 10

// Parse reads tab-separated examples: a header line of two column names,
// then one "label<TAB>text" line per example. Blank lines are skipped, a
// trailing "\r" is dropped, and the text is trimmed of surrounding spaces. A
// label is lower-case ASCII letters, digits and '_'; the text is non-empty
// UTF-8 without tabs. Errors name the line.
func Parse(r io.Reader) ([]Example, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes)
	var exs []Example
	line, header := 0, false
	for sc.Scan() {
		line++
		s := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(s) == "" {
			continue
		}
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("line %d: not valid UTF-8", line)
		}
		cols := strings.Split(s, "\t")
		if len(cols) != 2 {
			return nil, fmt.Errorf("line %d: %d tab-separated columns, want 2", line, len(cols))
		}
		if !header {
			for _, c := range cols {
				if strings.TrimSpace(c) == "" {
					return nil, fmt.Errorf("line %d: header has an empty column name", line)
				}
			}
			header = true
			continue
		}
		label, text := strings.TrimSpace(cols[0]), strings.TrimSpace(cols[1])
		if err := checkLabel(label); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if text == "" {
			return nil, fmt.Errorf("line %d: empty text", line)
		}
		exs = append(exs, Example{Label: label, Text: text})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", line+1, MaxLineBytes)
		}
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if !header {
		return nil, errors.New("no header line")
	}
	return exs, nil
}

func checkLabel(label string) error {
	if label == "" {
		return errors.New("empty label")
	}
	for _, c := range label {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return fmt.Errorf("label %q: want lower-case letters, digits and '_'", label)
		}
	}
	return nil
}
