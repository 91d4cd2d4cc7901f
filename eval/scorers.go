package eval

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"
)

// The built-in scorers keep the rules and thresholds of Steady's original
// W&B Weave scorers, so scores stay comparable with runs made before the
// port. Each is a zero-size value: eval.Brevity{} is ready to use.
var (
	_ Scorer = InterventionEffectiveness{}
	_ Scorer = MemoryRetrieval{}
	_ Scorer = Brevity{}
	_ Scorer = Supportiveness{}
	_ Scorer = ToolUsage{}
	_ Scorer = ResponseQuality{}
)

// Builtin returns every built-in scorer.
func Builtin() []Scorer {
	return []Scorer{InterventionEffectiveness{}, MemoryRetrieval{}, Brevity{}, Supportiveness{}, ToolUsage{}, ResponseQuality{}}
}

// Outcomes the effectiveness scorer rewards; the memory layer owns the full
// list, which eval must not import.
const (
	OutcomeTaskCompleted = "task_completed"
	OutcomeReEngaged     = "re_engaged"
)

// Tool categories, as the memory layer names them.
const (
	CategoryTask      = "task"
	CategoryFeedback  = "feedback"
	CategoryEmotional = "emotional"
)

var toolCategories = map[string]string{
	"create_microsteps": CategoryTask, "get_current_step": CategoryTask, "mark_step_complete": CategoryTask,
	"get_current_time": CategoryTask, "create_reminder": CategoryTask,
	"schedule_checkin": CategoryFeedback, "get_time_since_last_checkin": CategoryFeedback,
	"log_micro_win": CategoryFeedback, "log_win": CategoryFeedback,
	"start_breathing_exercise": CategoryEmotional, "sensory_check": CategoryEmotional,
	"grounding_exercise": CategoryEmotional, "suggest_break": CategoryEmotional, "reframe_thought": CategoryEmotional,
}

// ToolCategory returns the category of a support tool, or "" for a tool
// Steady does not know.
func ToolCategory(tool string) string { return toolCategories[tool] }

// InterventionEffectiveness judges an intervention by its outcome: finishing
// the task is best, coming back to it nearly as good; with no such outcome a
// substantive reply still earns a little, because the user was answered.
type InterventionEffectiveness struct{}

func (InterventionEffectiveness) Name() string { return "effectiveness" }

// Score reports score, successful (score ≥ 0.7) and the category of the
// first tool called ("" when none).
func (InterventionEffectiveness) Score(_ context.Context, _ Example, out Output) (Result, error) {
	score := effectiveness(out)
	category := ""
	if len(out.ToolCalls) > 0 {
		category = ToolCategory(out.ToolCalls[0].Name)
	}
	return Result{ScoreKey: score, "successful": score >= 0.7, "category": category}, nil
}

func effectiveness(out Output) float64 {
	switch {
	case out.Outcome == OutcomeTaskCompleted:
		return 1.0
	case out.Outcome == OutcomeReEngaged:
		return 0.7
	case utf8.RuneCountInString(strings.TrimSpace(out.Response)) > 10:
		return 0.3
	}
	return 0
}

// RelevantSimilarity is the similarity above which a retrieved memory counts
// as relevant.
const RelevantSimilarity = 0.7

// MemoryRetrieval judges the memories the model retrieved: how many were
// relevant (similarity strictly above RelevantSimilarity) and how similar
// they were on average.
type MemoryRetrieval struct{}

func (MemoryRetrieval) Name() string { return "memory_retrieval" }

// Score reports retrieved, relevant, relevance (relevant / retrieved),
// mean_similarity and score (= relevance). With nothing retrieved,
// relevance and mean_similarity are 0: retrieving nothing helps nobody.
func (MemoryRetrieval) Score(_ context.Context, _ Example, out Output) (Result, error) {
	n, relevant, sum := len(out.Memories), 0, 0.0
	for _, m := range out.Memories {
		sum += m.Similarity
		if m.Similarity > RelevantSimilarity {
			relevant++
		}
	}
	relevance, mean := 0.0, 0.0
	if n > 0 {
		relevance, mean = float64(relevant)/float64(n), sum/float64(n)
	}
	return Result{ScoreKey: relevance, "retrieved": n, "relevant": relevant, "relevance": relevance, "mean_similarity": mean}, nil
}

// Brevity rewards short replies: a person who is overwhelmed or in a
// sensory overload cannot take in a paragraph. Words are runs of non-space
// characters; sentences are counted by CountSentences.
type Brevity struct{}

func (Brevity) Name() string { return "brevity" }

// Score reports score, words and sentences. An empty reply scores 1.0 (it
// is brief); other scorers judge whether it helped.
func (Brevity) Score(_ context.Context, _ Example, out Output) (Result, error) {
	words, sentences := CountWords(out.Response), CountSentences(out.Response)
	return Result{ScoreKey: brevity(words, sentences), "words": words, "sentences": sentences}, nil
}

func brevity(words, sentences int) float64 {
	switch {
	case words <= 30 && sentences <= 2:
		return 1.0
	case words <= 50 && sentences <= 3:
		return 0.7
	case words <= 80:
		return 0.4
	}
	return 0.2
}

// ToolUsage judges whether the model reached for the right support tool.
type ToolUsage struct{}

func (ToolUsage) Name() string { return "tool_usage" }

// Score reports score and used_tool. With an expected tool: it or one of
// the acceptable tools called → 1.0, only other tools → 0.5, none → 0.
// With NoTool: no call → 1.0, any call → 0. With no expectation a tool
// call is mildly preferred (0.7 vs 0.5), because the tools are how Steady
// helps.
func (ToolUsage) Score(_ context.Context, ex Example, out Output) (Result, error) {
	return Result{ScoreKey: toolUsage(ex, out), "used_tool": len(out.ToolCalls) > 0}, nil
}

func toolUsage(ex Example, out Output) float64 {
	used := len(out.ToolCalls) > 0
	switch {
	case ex.NoTool && used:
		return 0
	case ex.NoTool:
		return 1.0
	case ex.ExpectedTool == "" && len(ex.AcceptableTools) == 0:
		if used {
			return 0.7
		}
		return 0.5
	case calledExpected(ex, out):
		return 1.0
	case used:
		return 0.5
	}
	return 0
}

// calledExpected reports whether out called the expected tool or one of
// the acceptable ones. Acceptable tools alone, without an expected one,
// still form an expectation.
func calledExpected(ex Example, out Output) bool {
	for _, c := range out.ToolCalls {
		if c.Name != "" && (c.Name == ex.ExpectedTool || slices.Contains(ex.AcceptableTools, c.Name)) {
			return true
		}
	}
	return false
}

// ResponseQuality weighs the reply as a whole: 0.3 brevity, 0.4
// supportiveness, 0.3 tool usage. Supportiveness weighs most because a
// judgmental reply undoes whatever the tool achieved.
type ResponseQuality struct{}

func (ResponseQuality) Name() string { return "response_quality" }

// Score reports score and its three parts.
func (ResponseQuality) Score(_ context.Context, ex Example, out Output) (Result, error) {
	b := brevity(CountWords(out.Response), CountSentences(out.Response))
	s := supportiveness(out.Response)
	u := toolUsage(ex, out)
	return Result{ScoreKey: 0.3*b + 0.4*s + 0.3*u, "brevity": b, "supportiveness": s, "tool_usage": u}, nil
}
