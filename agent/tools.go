package agent

import (
	"slices"

	"github.com/steady-voice/steady/llm"
	"github.com/steady-voice/steady/memory"
)

// ParamType is the JSON type of a tool parameter.
type ParamType string

const (
	Integer ParamType = "integer"
	String  ParamType = "string"
)

// Param declares one argument of a tool.
type Param struct {
	Name, Description string
	Type              ParamType
	Required          bool
	Min, Max          int      // integers: inclusive bounds (Max 0 = unbounded above)
	MaxLen            int      // strings: byte limit (0 = none)
	Enum              []string // strings: allowed values, nil = any
	Default           any      // int or string applied when absent; nil = none
}

// Tool declares one support tool: what the model is told about it, and
// what the agent needs to know to record it.
type Tool struct {
	Name, Description string
	Category          memory.Category
	Params            []Param
	// ReadOnly tools never change the session's state and are never
	// recorded as interventions: asking the time is not a way of helping.
	ReadOnly bool
	// Outcome is the outcome an intervention with this tool starts with,
	// before outcome detection learns more.
	Outcome memory.Outcome
}

// toolAliases maps names models have been seen to use to the declared name.
var toolAliases = map[string]string{"log_win": "log_micro_win"}

// Limits on text arguments. A task is stored in the session's state and in
// interventions, so it shares the memory layer's limit.
const (
	maxDescription = 500
	maxCategory    = 64
	maxTask        = memory.MaxTaskBytes
)

// The thought types reframe_thought knows, and the grounding techniques.
var (
	thoughtTypes        = []string{"perfectionism", "catastrophizing", "rsd", "overwhelm", "imposter"}
	groundingTechniques = []string{"5-4-3-2-1", "body_scan", "simple"}
)

// toolTable is the one declaration of the tools, in the order models see them.
// The names, descriptions and parameter descriptions are those of Steady's
// original tools, so recorded interventions stay comparable.
var toolTable = []Tool{
	{Name: "schedule_checkin", Description: "Schedule a check-in with the user after specified minutes",
		Category: memory.Feedback, Outcome: memory.ReEngaged, Params: []Param{
			{Name: "minutes", Type: Integer, Required: true, Min: 1, Max: 120, Description: "Minutes until check-in (typically 2-5)"},
		}},
	{Name: "get_time_since_last_checkin", Description: "Get time elapsed since the last check-in with the user",
		Category: memory.Feedback, ReadOnly: true},
	{Name: "log_micro_win", Description: "Log a micro-win to celebrate the user's progress",
		Category: memory.Feedback, Outcome: memory.TaskCompleted, Params: []Param{
			{Name: "description", Type: String, Required: true, MaxLen: maxDescription, Description: "What the user accomplished"},
			{Name: "category", Type: String, MaxLen: maxCategory, Default: "general", Description: "Category of win (task, emotional, focus, etc.)"},
		}},
	{Name: "create_microsteps", Description: "Break a task into micro-steps (2-5 minutes each)",
		Category: memory.Task, Outcome: memory.TaskStarted, Params: []Param{
			{Name: "task", Type: String, Required: true, MaxLen: maxTask, Description: "The task to break down"},
			{Name: "count", Type: Integer, Min: 1, Max: 10, Default: 3, Description: "Number of steps (default 3)"},
		}},
	{Name: "get_current_step", Description: "Get the current step the user should work on",
		Category: memory.Task, ReadOnly: true},
	{Name: "mark_step_complete", Description: "Mark the current step as complete and move to next",
		Category: memory.Task, Outcome: memory.TaskProgress},
	{Name: "get_current_time", Description: "Get the current time for time-awareness",
		Category: memory.Task, ReadOnly: true},
	{Name: "create_reminder", Description: "Create a reminder for a task",
		Category: memory.Task, Outcome: memory.TaskStarted, Params: []Param{
			{Name: "task", Type: String, Required: true, MaxLen: maxTask, Description: "What to remind about"},
			{Name: "minutes", Type: Integer, Required: true, Min: 1, Max: 1440, Description: "Minutes until reminder"},
		}},
	{Name: "start_breathing_exercise", Description: "Guide a quick breathing exercise for regulation",
		Category: memory.Emotional, Outcome: memory.ReEngaged, Params: []Param{
			{Name: "breaths", Type: Integer, Min: 1, Max: 10, Default: 3, Description: "Number of breaths (default 3)"},
		}},
	{Name: "sensory_check", Description: "Prompt a quick sensory environment check (noise, light, body)",
		Category: memory.Emotional, Outcome: memory.ReEngaged},
	{Name: "grounding_exercise", Description: "Start a grounding exercise to help with overwhelm or anxiety",
		Category: memory.Emotional, Outcome: memory.ReEngaged, Params: []Param{
			{Name: "technique", Type: String, Enum: groundingTechniques, Default: "5-4-3-2-1", Description: "Type of grounding: 5-4-3-2-1, body_scan, or simple"},
		}},
	{Name: "suggest_break", Description: "Suggest a structured break when user needs to reset",
		Category: memory.Emotional, Outcome: memory.ReEngaged, Params: []Param{
			{Name: "duration_minutes", Type: Integer, Min: 1, Max: 60, Default: 5, Description: "Suggested break duration (2, 5, or longer)"},
		}},
	{Name: "reframe_thought", Description: "Provide a cognitive reframe for negative thought patterns",
		Category: memory.Emotional, Outcome: memory.ReEngaged, Params: []Param{
			{Name: "thought_type", Type: String, Required: true, Enum: thoughtTypes, Description: "Type: perfectionism, catastrophizing, rsd, overwhelm, imposter"},
		}},
}

// Tools returns the 13 support tools in the order models see them. The
// slice is the caller's to modify; the table stays as declared.
func Tools() []Tool {
	tools := make([]Tool, len(toolTable))
	for i, t := range toolTable {
		tools[i] = t.clone()
	}
	return tools
}

// LookupTool returns the tool with the given name, or one of its aliases
// (log_win for log_micro_win). The returned tool carries the declared name.
func LookupTool(name string) (Tool, bool) {
	if n, ok := toolAliases[name]; ok {
		name = n
	}
	t, ok := lookupDecl(name)
	if !ok {
		return Tool{}, false
	}
	return t.clone(), true
}

// lookupDecl finds a declared tool without copying it, for internal readers.
func lookupDecl(name string) (*Tool, bool) {
	for i := range toolTable {
		if toolTable[i].Name == name {
			return &toolTable[i], true
		}
	}
	return nil, false
}

// clone copies the slices too, so no caller can change the table.
func (t Tool) clone() Tool {
	t.Params = slices.Clone(t.Params)
	for i := range t.Params {
		t.Params[i].Enum = slices.Clone(t.Params[i].Enum)
	}
	return t
}

// LLMTools declares the tools to a model, as JSON Schema.
func LLMTools() []llm.Tool {
	tools := make([]llm.Tool, len(toolTable))
	for i, t := range toolTable {
		tools[i] = llm.Tool{Name: t.Name, Description: t.Description, Parameters: t.schema()}
	}
	return tools
}

// schema is the tool's parameters as a JSON Schema object, with no
// "required" list when nothing is required, so a declaration says only what
// matters.
func (t Tool) schema() map[string]any {
	props := map[string]any{}
	var required []string
	for _, p := range t.Params {
		props[p.Name] = p.schema()
		if p.Required {
			required = append(required, p.Name)
		}
	}
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func (p Param) schema() map[string]any {
	s := map[string]any{"type": string(p.Type), "description": p.Description}
	if p.Type == Integer {
		s["minimum"] = p.Min
		if p.Max > 0 {
			s["maximum"] = p.Max
		}
	}
	if p.Enum != nil {
		s["enum"] = slices.Clone(p.Enum)
	}
	return s
}
