package eval_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	steady "github.com/steady-voice/steady"
	"github.com/steady-voice/steady/eval"
)

func TestReadDataset(t *testing.T) {
	in := `{"id":"a","input":"I can't start my essay","expected_tool":"create_microsteps","task":"essay","metadata":{"difficulty":2}}

{"input":"too loud in here","context":"office","expected_tool":"sensory_check","acceptable_tools":["grounding_exercise"]}
{"id":"hi","input":"thanks, that was nice","no_tool":true}
`
	got, err := eval.ReadDataset(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []eval.Example{
		{ID: "a", Input: "I can't start my essay", ExpectedTool: "create_microsteps", Task: "essay", Metadata: map[string]any{"difficulty": 2.0}},
		{ID: "line-3", Input: "too loud in here", Context: "office", ExpectedTool: "sensory_check",
			AcceptableTools: []string{"grounding_exercise"}},
		{ID: "hi", Input: "thanks, that was nice", NoTool: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadDataset = %+v, want %+v", got, want)
	}
}

func TestReadDatasetErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"bad JSON", "{\"input\":\"ok\"}\n{\"input\":", "line 2: bad JSON"},
		{"missing input", `{"id":"x"}`, `line 1: missing field "input"`},
		{"blank input", `{"input":"   "}`, `line 1: missing field "input"`},
		{"unknown field", `{"input":"x","expected_tol":"y"}`, `line 1: bad JSON: json: unknown field "expected_tol"`},
		{"two values", `{"input":"x"} {"input":"y"}`, "line 1: bad JSON: more than one value"},
		{"not an object", `["x"]`, "line 1: bad JSON"},
		{"no tool and expected tool", `{"input":"hi","no_tool":true,"expected_tool":"suggest_break"}`, `line 1: "no_tool" together with`},
		{"no tool and acceptable tools", "\n" + `{"input":"hi","no_tool":true,"acceptable_tools":["suggest_break"]}`, `line 2: "no_tool" together with`},
		{"empty acceptable tool", `{"input":"hi","acceptable_tools":["suggest_break",""]}`, `line 1: "acceptable_tools" holds an empty name`},
		{"acceptable tools not a list", `{"input":"hi","acceptable_tools":"suggest_break"}`, "line 1: bad JSON"},
		{"duplicate id", "{\"id\":\"a\",\"input\":\"x\"}\n\n{\"id\":\"a\",\"input\":\"y\"}", `line 3: id "a" already used on line 1`},
		{"line too long", `{"input":"` + strings.Repeat("x", eval.MaxLineBytes) + `"}`, "line 1: longer than"},
		{"too many rows", strings.Repeat("{\"input\":\"x\"}\n", eval.MaxDatasetRows+1), "more than 10000 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eval.ReadDataset(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadDataset error = %v, want one containing %q", err, tt.want)
			}
			if code := steady.ErrorCode(err); code != steady.Invalid {
				t.Errorf("error code = %q, want %q", code, steady.Invalid)
			}
		})
	}
}

// FuzzReadDataset checks that any input either fails cleanly or yields
// examples that keep the documented guarantees and survive a write/read
// round trip.
func FuzzReadDataset(f *testing.F) {
	f.Add([]byte(`{"id":"a","input":"hi","metadata":{"k":[1,{"x":null}]}}` + "\n\n" + `{"input":"x"}`))
	f.Add([]byte(`{"input":"\u00e9\ud800","tool_calls":1}`))
	f.Add([]byte("{\"input\":\"x\"}\r\n{\"input\":\"y\",\"id\":\"line-1\"}"))
	f.Add([]byte(`{"input":"x"} trailing`))
	f.Add([]byte(`{"input":"x","expected_tool":"a","acceptable_tools":["b","c"]}` + "\n" + `{"input":"y","no_tool":true}`))
	f.Add([]byte(`{"input":"x","no_tool":true,"acceptable_tools":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		examples, err := eval.ReadDataset(bytes.NewReader(data))
		if err != nil {
			return
		}
		ids := map[string]bool{}
		for _, ex := range examples {
			if strings.TrimSpace(ex.Input) == "" || ex.ID == "" || ids[ex.ID] ||
				ex.NoTool && (ex.ExpectedTool != "" || len(ex.AcceptableTools) > 0) || slices.Contains(ex.AcceptableTools, "") {
				t.Fatalf("bad example %+v", ex)
			}
			ids[ex.ID] = true
		}
		var buf bytes.Buffer
		if err := eval.WriteDataset(&buf, examples); err != nil {
			t.Fatal(err)
		}
		again, err := eval.ReadDataset(&buf)
		if err != nil {
			t.Fatalf("reading back what WriteDataset wrote: %v", err)
		}
		if a, b := mustJSON(t, examples), mustJSON(t, again); a != b {
			t.Errorf("round trip changed the dataset:\n got %s\nwant %s", b, a)
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestScenariosParse(t *testing.T) {
	ex := eval.Scenarios()
	if len(ex) < 40 {
		t.Fatalf("%d scenarios, want at least 40", len(ex))
	}
	noTool := 0
	for _, e := range ex {
		if e.NoTool {
			noTool++
		} else if eval.ToolCategory(e.ExpectedTool) == "" {
			t.Errorf("%s: expected tool %q is not a support tool", e.ID, e.ExpectedTool)
		}
	}
	if noTool == 0 {
		t.Error("no small-talk scenario")
	}
}
