package agent_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/llm"
	"github.com/steady-voice/steady/memory"
)

// -update may be declared by another golden test of the package too, so it
// is declared only if it is not already.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// wantTools is the declaration, verbatim.
var wantTools = []struct {
	name, description string
	params            [][2]string // name, description
}{
	{"schedule_checkin", "Schedule a check-in with the user after specified minutes", [][2]string{{"minutes", "Minutes until check-in (typically 2-5)"}}},
	{"get_time_since_last_checkin", "Get time elapsed since the last check-in with the user", nil},
	{"log_micro_win", "Log a micro-win to celebrate the user's progress", [][2]string{{"description", "What the user accomplished"}, {"category", "Category of win (task, emotional, focus, etc.)"}}},
	{"create_microsteps", "Break a task into micro-steps (2-5 minutes each)", [][2]string{{"task", "The task to break down"}, {"count", "Number of steps (default 3)"}}},
	{"get_current_step", "Get the current step the user should work on", nil},
	{"mark_step_complete", "Mark the current step as complete and move to next", nil},
	{"get_current_time", "Get the current time for time-awareness", nil},
	{"create_reminder", "Create a reminder for a task", [][2]string{{"task", "What to remind about"}, {"minutes", "Minutes until reminder"}}},
	{"start_breathing_exercise", "Guide a quick breathing exercise for regulation", [][2]string{{"breaths", "Number of breaths (default 3)"}}},
	{"sensory_check", "Prompt a quick sensory environment check (noise, light, body)", nil},
	{"grounding_exercise", "Start a grounding exercise to help with overwhelm or anxiety", [][2]string{{"technique", "Type of grounding: 5-4-3-2-1, body_scan, or simple"}}},
	{"suggest_break", "Suggest a structured break when user needs to reset", [][2]string{{"duration_minutes", "Suggested break duration (2, 5, or longer)"}}},
	{"reframe_thought", "Provide a cognitive reframe for negative thought patterns", [][2]string{{"thought_type", "Type: perfectionism, catastrophizing, rsd, overwhelm, imposter"}}},
}

func TestToolsTable(t *testing.T) {
	tools := agent.Tools()
	if len(tools) != len(wantTools) {
		t.Fatalf("got %d tools, want %d", len(tools), len(wantTools))
	}
	for i, want := range wantTools {
		got := tools[i]
		t.Run(want.name, func(t *testing.T) {
			if got.Name != want.name || got.Description != want.description {
				t.Errorf("tool %d = %q %q, want %q %q", i, got.Name, got.Description, want.name, want.description)
			}
			if len(got.Params) != len(want.params) {
				t.Fatalf("got %d params, want %d", len(got.Params), len(want.params))
			}
			for j, p := range got.Params {
				if p.Name != want.params[j][0] || p.Description != want.params[j][1] {
					t.Errorf("param %d = %q %q, want %q %q", j, p.Name, p.Description, want.params[j][0], want.params[j][1])
				}
			}
		})
	}
}

func TestToolParams(t *testing.T) {
	type param struct {
		typ      agent.ParamType
		required bool
		min, max int
		maxLen   int
		enum     []string
		def      any
	}
	tests := []struct {
		tool, param string
		want        param
	}{
		{"schedule_checkin", "minutes", param{agent.Integer, true, 1, 120, 0, nil, nil}},
		{"log_micro_win", "description", param{agent.String, true, 0, 0, 500, nil, nil}},
		{"log_micro_win", "category", param{agent.String, false, 0, 0, 64, nil, "general"}},
		{"create_microsteps", "task", param{agent.String, true, 0, 0, memory.MaxTaskBytes, nil, nil}},
		{"create_microsteps", "count", param{agent.Integer, false, 1, 10, 0, nil, 3}},
		{"create_reminder", "task", param{agent.String, true, 0, 0, memory.MaxTaskBytes, nil, nil}},
		{"create_reminder", "minutes", param{agent.Integer, true, 1, 1440, 0, nil, nil}},
		{"start_breathing_exercise", "breaths", param{agent.Integer, false, 1, 10, 0, nil, 3}},
		{"grounding_exercise", "technique", param{agent.String, false, 0, 0, 0, []string{"5-4-3-2-1", "body_scan", "simple"}, "5-4-3-2-1"}},
		{"suggest_break", "duration_minutes", param{agent.Integer, false, 1, 60, 0, nil, 5}},
		{"reframe_thought", "thought_type", param{agent.String, true, 0, 0, 0, []string{"perfectionism", "catastrophizing", "rsd", "overwhelm", "imposter"}, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.tool+"/"+tt.param, func(t *testing.T) {
			p := findParam(t, tt.tool, tt.param)
			got := param{p.Type, p.Required, p.Min, p.Max, p.MaxLen, p.Enum, p.Default}
			if got.typ != tt.want.typ || got.required != tt.want.required || got.min != tt.want.min ||
				got.max != tt.want.max || got.maxLen != tt.want.maxLen || !slices.Equal(got.enum, tt.want.enum) || got.def != tt.want.def {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func findParam(t *testing.T, tool, name string) agent.Param {
	t.Helper()
	tl := mustTool(t, tool)
	for _, p := range tl.Params {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("%s has no param %q", tool, name)
	return agent.Param{}
}

func mustTool(t testing.TB, name string) agent.Tool {
	t.Helper()
	tl, ok := agent.LookupTool(name)
	if !ok {
		t.Fatalf("LookupTool(%q) found nothing", name)
	}
	return tl
}

func TestToolCategoriesAgreeWithEval(t *testing.T) {
	names := []string{"log_win"}
	for _, tl := range agent.Tools() {
		names = append(names, tl.Name)
	}
	for _, name := range names {
		got := mustTool(t, name).Category
		if want := eval.ToolCategory(name); string(got) != want {
			t.Errorf("%s: got category %q, want %q (eval.ToolCategory)", name, got, want)
		}
	}
}

func TestToolOutcomesAndReadOnly(t *testing.T) {
	tests := []struct {
		name     string
		readOnly bool
		outcome  memory.Outcome
	}{
		{"schedule_checkin", false, memory.ReEngaged},
		{"get_time_since_last_checkin", true, ""},
		{"log_micro_win", false, memory.TaskCompleted},
		{"create_microsteps", false, memory.TaskStarted},
		{"get_current_step", true, ""},
		{"mark_step_complete", false, memory.TaskProgress},
		{"get_current_time", true, ""},
		{"create_reminder", false, memory.TaskStarted},
		{"start_breathing_exercise", false, memory.ReEngaged},
		{"sensory_check", false, memory.ReEngaged},
		{"grounding_exercise", false, memory.ReEngaged},
		{"suggest_break", false, memory.ReEngaged},
		{"reframe_thought", false, memory.ReEngaged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := mustTool(t, tt.name)
			if tl.ReadOnly != tt.readOnly || tl.Outcome != tt.outcome {
				t.Errorf("got ReadOnly %v Outcome %q, want %v %q", tl.ReadOnly, tl.Outcome, tt.readOnly, tt.outcome)
			}
		})
	}
}

func TestLookupTool(t *testing.T) {
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"create_reminder", "create_reminder", true},
		{"log_win", "log_micro_win", true},
		{"log_micro_win", "log_micro_win", true},
		{"Create_Reminder", "", false},
		{"", "", false},
		{"delete_everything", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := agent.LookupTool(tt.name)
			if ok != tt.ok || got.Name != tt.want {
				t.Errorf("got %q %v, want %q %v", got.Name, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestToolsReturnsCopies(t *testing.T) {
	tools := agent.Tools()
	tools[0].Name = "changed"
	tools[8].Params[0].Max = 1000
	tl, _ := agent.LookupTool("grounding_exercise")
	tl.Params[0].Enum[0] = "changed"

	if got := agent.Tools()[0].Name; got != "schedule_checkin" {
		t.Errorf("got first tool %q after modifying a copy, want schedule_checkin", got)
	}
	if got := findParam(t, "start_breathing_exercise", "breaths").Max; got != 10 {
		t.Errorf("got breaths max %d after modifying a copy, want 10", got)
	}
	if got := findParam(t, "grounding_exercise", "technique").Enum[0]; got != "5-4-3-2-1" {
		t.Errorf("got technique %q after modifying a copy, want 5-4-3-2-1", got)
	}
}

func TestLLMToolsSchema(t *testing.T) {
	tools := agent.LLMTools()
	if len(tools) != len(wantTools) {
		t.Fatalf("got %d tools, want %d", len(tools), len(wantTools))
	}
	for i, tl := range tools {
		if tl.Name != wantTools[i].name || tl.Description != wantTools[i].description {
			t.Errorf("tool %d = %q %q, want %q %q", i, tl.Name, tl.Description, wantTools[i].name, wantTools[i].description)
		}
		if tl.Parameters["type"] != "object" {
			t.Errorf("%s: got type %v, want object", tl.Name, tl.Parameters["type"])
		}
		if _, ok := tl.Parameters["properties"].(map[string]any); !ok {
			t.Errorf("%s: properties is %T, want an object", tl.Name, tl.Parameters["properties"])
		}
	}
}

func TestLLMToolsGolden(t *testing.T) {
	checkGolden(t, "tools.golden.json", agent.LLMTools())
}

// The same table, as each provider receives it: what a model reads is
// pinned, so a change to a description or a bound is seen in review.
func TestProviderToolsGolden(t *testing.T) {
	checkGolden(t, "tools.gemini.golden.json", llm.GeminiTools(agent.LLMTools()))
	checkGolden(t, "tools.openai.golden.json", llm.OpenAITools(agent.LLMTools()))
}

func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed; got:\n%s\nrun go test -run Golden -update if the change is meant", path, got)
	}
}

func TestReadOnlyToolsLeaveStateAlone(t *testing.T) {
	st := &memory.SessionState{}
	execTool(t, st, "create_microsteps", `{"task": "clean my room"}`, execNow)
	execTool(t, st, "schedule_checkin", `{"minutes": 3}`, execNow)
	before := copyState(t, st)
	for _, tl := range agent.Tools() {
		if tl.ReadOnly {
			execTool(t, st, tl.Name, ``, execNow.Add(time.Hour))
		}
	}
	if !reflect.DeepEqual(st, before) {
		t.Errorf("read-only tools changed the state:\ngot  %+v\nwant %+v", st, before)
	}
}

func copyState(t *testing.T, st *memory.SessionState) *memory.SessionState {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var c memory.SessionState
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}
