package agent

import (
	"fmt"
	"strings"
	"time"

	"github.com/steady-voice/steady/memory"
)

// makeMicrosteps breaks task into count steps of two to five minutes each. It
// cannot know the task, so the steps carry the shape that helps with any
// task: a setup that lowers the cost of starting, one tiny first piece, small
// pieces after it, and a wrap-up that makes the finish visible.
func makeMicrosteps(task string, count int) []string {
	q := quoteTask(task)
	switch {
	case count <= 1:
		return []string{fmt.Sprintf("Spend just 5 minutes on the first tiny piece of %s, then stop and notice how it went.", q)}
	case count == 2:
		return []string{firstStepPiece(q), wrapUpStep(q)}
	}
	steps := make([]string, 0, count)
	steps = append(steps, fmt.Sprintf("Clear a small space and gather what you need for %s (2 minutes).", q), firstStepPiece(q))
	for i := range count - 3 {
		steps = append(steps, nextStepPieces[i%len(nextStepPieces)])
	}
	return append(steps, wrapUpStep(q))
}

func firstStepPiece(q string) string {
	return fmt.Sprintf("Do the first tiny piece of %s for 5 minutes, nothing more.", q)
}

func wrapUpStep(q string) string {
	return fmt.Sprintf("Look over what you did on %s and put things away (2 minutes).", q)
}

// nextStepPieces vary, so that a long list does not read as one step repeated.
var nextStepPieces = []string{
	"Do the next small piece for 5 minutes.",
	"Pick the easiest part that's left and do just that.",
	"Keep going with one more small piece, about 5 minutes.",
	"Take one slow breath, then do another small piece.",
}

// quoteTask puts the user's words in quotes, so a task reads the same whether
// it is a noun ("the report") or a verb ("clean my room").
func quoteTask(s string) string { return `"` + s + `"` }

func createMicrosteps(st *memory.SessionState, a Args, _ time.Time) (string, error) {
	task := strings.TrimRight(a.str("task"), ". ")
	if task == "" {
		task = a.str("task")
	}
	count := a.num("count")
	st.Task, st.Steps, st.CurrentStep = task, makeMicrosteps(task, count), 0
	if count == 1 {
		return fmt.Sprintf("1 small step for %s: %s", quoteTask(task), st.Steps[0]), nil
	}
	return fmt.Sprintf("%d small steps for %s. First: %s", count, quoteTask(task), st.Steps[0]), nil
}

func getCurrentStep(st *memory.SessionState, _ Args, _ time.Time) (string, error) {
	i, ok := stepIndex(st)
	switch {
	case !ok:
		return "There's no task in progress yet. Tell me what you'd like to work on, and we can break it into small steps.", nil
	case i == len(st.Steps):
		return fmt.Sprintf("All %d steps for %s are done. Well done!", len(st.Steps), quoteTask(st.Task)), nil
	}
	return fmt.Sprintf("Step %d of %d for %s: %s", i+1, len(st.Steps), quoteTask(st.Task), st.Steps[i]), nil
}

func markStepComplete(st *memory.SessionState, _ Args, _ time.Time) (string, error) {
	i, ok := stepIndex(st)
	switch {
	case !ok:
		return "There's no task in progress, so there's nothing to mark yet. Want to break something into small steps?", nil
	case i == len(st.Steps):
		return fmt.Sprintf("All the steps for %s are already done. Want to start something new?", quoteTask(st.Task)), nil
	}
	st.CurrentStep = i + 1
	if StepsDone(st) {
		return fmt.Sprintf("That was the last step: %s is done. Well done!", quoteTask(st.Task)), nil
	}
	return fmt.Sprintf("Step %d is done, nice work! Next: %s", i+1, st.Steps[i+1]), nil
}

// StepsDone reports whether the session's task has steps and all of them
// are done. The finished task stays in the state until a new one is
// created, so the caller can tell that mark_step_complete finished it.
func StepsDone(st *memory.SessionState) bool {
	i, ok := stepIndex(st)
	return ok && i == len(st.Steps)
}

// stepIndex is the current step, clamped to [0, len(Steps)] because the
// state comes from a store and may have been written by older code; ok is
// false when there are no steps.
func stepIndex(st *memory.SessionState) (int, bool) {
	if len(st.Steps) == 0 {
		return 0, false
	}
	return min(max(st.CurrentStep, 0), len(st.Steps)), true
}
