package eval

import (
	"context"
	"time"
)

// Example is one input to judge: what the user said and what we expected.
type Example struct {
	// ID names the example across runs, so Compare can pair rows.
	ID    string `json:"id"`
	Input string `json:"input"` // the user's message
	// ExpectedTool is the support tool the agent should call, or "" when
	// any (or no) tool is acceptable, unless AcceptableTools or NoTool
	// says otherwise.
	ExpectedTool string `json:"expected_tool,omitempty"`
	// AcceptableTools are other tools that would be just as right: a user
	// who is overwhelmed may be helped by breathing or by grounding, and
	// penalising one of them would teach the model a preference the
	// dataset's author never had.
	AcceptableTools []string `json:"acceptable_tools,omitempty"`
	// NoTool says the right answer calls no tool at all (small talk, a
	// thank-you): reaching for an exercise there is intrusive. It excludes
	// ExpectedTool and AcceptableTools.
	NoTool   bool           `json:"no_tool,omitempty"`
	Context  string         `json:"context,omitempty"` // e.g. "overwhelmed, late evening"
	Task     string         `json:"task,omitempty"`    // what the user is working on
	Metadata map[string]any `json:"metadata,omitempty"`
}

// ToolCall is one support tool the model called while answering.
type ToolCall struct {
	Name   string         `json:"name"`
	Args   map[string]any `json:"args,omitempty"`
	Result any            `json:"result,omitempty"`
}

// Memory is one past intervention the model retrieved to answer.
type Memory struct {
	ID         string  `json:"id,omitempty"`
	Text       string  `json:"text,omitempty"`
	Similarity float64 `json:"similarity"` // cosine similarity to the query, in [-1, 1]
}

// Output is what the model did for one example.
type Output struct {
	Response  string     `json:"response"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// Outcome is the memory layer's outcome for the intervention
	// ("task_completed", "re_engaged", "abandoned", …), when known.
	Outcome  string   `json:"outcome,omitempty"`
	Memories []Memory `json:"memories,omitempty"`
	// Latency is the model call's duration. The runner measures it when
	// the model leaves it zero.
	Latency time.Duration `json:"latency_ns,omitempty"`
}

// Result is what a scorer says about one row. Values are numbers, booleans,
// strings or nested Results (or map[string]any); Summarize averages the
// numbers, counts the booleans and ignores the strings, so a scorer reports
// whatever it likes and still gets a summary for free. Built-in scorers put
// their main verdict, in [0, 1], under ScoreKey.
type Result map[string]any

// ScoreKey is the key of a Result's main verdict; Compare counts per-row
// wins and losses on it.
const ScoreKey = "score"

// Scorer judges one row.
type Scorer interface {
	// Name identifies the scorer in results, summaries and span names;
	// it must be unique within an Evaluation.
	Name() string
	// Score judges out, the model's output for ex. It must be safe for
	// concurrent use and must not modify ex or out. An error means the
	// scorer could not judge the row, not that the row is bad.
	Score(ctx context.Context, ex Example, out Output) (Result, error)
}

// ScorerFunc makes a Scorer of a function, for one-off scorers.
func ScorerFunc(name string, fn func(context.Context, Example, Output) (Result, error)) Scorer {
	return funcScorer{name: name, fn: fn}
}

type funcScorer struct {
	name string
	fn   func(context.Context, Example, Output) (Result, error)
}

func (s funcScorer) Name() string { return s.name }

func (s funcScorer) Score(ctx context.Context, ex Example, out Output) (Result, error) {
	return s.fn(ctx, ex, out)
}
