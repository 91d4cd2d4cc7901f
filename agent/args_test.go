package agent_test

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent"
)

func TestValidate(t *testing.T) {
	long := strings.Repeat("a", 1025)
	tests := []struct {
		tool, raw string
		want      agent.Args
	}{
		{"schedule_checkin", `{"minutes": 3}`, agent.Args{"minutes": 3}},
		{"schedule_checkin", `{"minutes": 3.0}`, agent.Args{"minutes": 3}},
		{"schedule_checkin", `{"minutes": 3e0}`, agent.Args{"minutes": 3}},
		{"schedule_checkin", ` {"minutes": 120} `, agent.Args{"minutes": 120}},
		{"get_current_time", ``, agent.Args{}},
		{"get_current_time", `null`, agent.Args{}},
		{"get_current_time", `{}`, agent.Args{}},
		{"create_microsteps", `{"task": "  clean my room \n"}`, agent.Args{"task": "clean my room", "count": 3}},
		{"create_microsteps", `{"task": "clean my room", "count": 10}`, agent.Args{"task": "clean my room", "count": 10}},
		{"create_microsteps", `{"task": "clean my room", "count": null}`, agent.Args{"task": "clean my room", "count": 3}},
		{"create_microsteps", `{"task": "` + long[:1024] + `"}`, agent.Args{"task": long[:1024], "count": 3}},
		{"log_micro_win", `{"description": "sent the email"}`, agent.Args{"description": "sent the email", "category": "general"}},
		{"log_micro_win", `{"description": "sent the email", "category": " "}`, agent.Args{"description": "sent the email", "category": "general"}},
		{"log_micro_win", `{"description": "sent the email", "category": "focus"}`, agent.Args{"description": "sent the email", "category": "focus"}},
		{"log_win", `{"description": "dishes"}`, agent.Args{"description": "dishes", "category": "general"}},
		{"create_reminder", `{"task": "take meds", "minutes": 1440}`, agent.Args{"task": "take meds", "minutes": 1440}},
		{"start_breathing_exercise", `{}`, agent.Args{"breaths": 3}},
		{"suggest_break", `{}`, agent.Args{"duration_minutes": 5}},
		{"grounding_exercise", `{}`, agent.Args{"technique": "5-4-3-2-1"}},
		{"grounding_exercise", `{"technique": "Body Scan"}`, agent.Args{"technique": "body_scan"}},
		{"grounding_exercise", `{"technique": "5_4_3_2_1"}`, agent.Args{"technique": "5-4-3-2-1"}},
		{"reframe_thought", `{"thought_type": "RSD"}`, agent.Args{"thought_type": "rsd"}},
		{"reframe_thought", `{"thought_type": "imposter"}`, agent.Args{"thought_type": "imposter"}},
	}
	for _, tt := range tests {
		t.Run(tt.tool+" "+clipName(tt.raw), func(t *testing.T) {
			got, err := mustTool(t, tt.tool).Validate(json.RawMessage(tt.raw))
			if err != nil {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		tool, raw, want string
	}{
		{"create_reminder", `{"task": "call mum"}`, `create_reminder: missing required argument "minutes" (integer, minutes until reminder)`},
		{"schedule_checkin", `{"minutes": 0}`, `schedule_checkin: "minutes" must be an integer from 1 to 120, got 0`},
		{"schedule_checkin", `{"minutes": 121}`, `schedule_checkin: "minutes" must be an integer from 1 to 120, got 121`},
		{"schedule_checkin", `{"minutes": -5}`, `schedule_checkin: "minutes" must be an integer from 1 to 120, got -5`},
		{"schedule_checkin", `{"minutes": 3.5}`, `schedule_checkin: "minutes" must be an integer from 1 to 120, got 3.5`},
		{"schedule_checkin", `{"minutes": "3"}`, `schedule_checkin: "minutes" must be an integer from 1 to 120, got "3"`},
		{"schedule_checkin", `{"minutes": true}`, `schedule_checkin: "minutes" must be an integer from 1 to 120, got true`},
		{"schedule_checkin", `{"minutes": 1e300}`, `schedule_checkin: "minutes" must be an integer from 1 to 120, got 1e300`},
		{"schedule_checkin", `{"minutes": null}`, `schedule_checkin: missing required argument "minutes" (integer, minutes until check-in (typically 2-5))`},
		{"schedule_checkin", `{"mins": 3}`, `schedule_checkin: unknown argument "mins"; send {"minutes": integer}`},
		{"schedule_checkin", `[3]`, `schedule_checkin: arguments must be a JSON object like {"minutes": integer}, got an array`},
		{"schedule_checkin", `"3 minutes"`, `schedule_checkin: arguments must be a JSON object like {"minutes": integer}, got "3 minutes"`},
		{"schedule_checkin", `{"minutes": 3`, `schedule_checkin: arguments are not valid JSON; send {"minutes": integer}`},
		{"schedule_checkin", `{"minutes": 3} {}`, `schedule_checkin: arguments are not valid JSON; send {"minutes": integer}`},
		{"create_reminder", `{"minutes": 1441, "task": "x"}`, `create_reminder: "minutes" must be an integer from 1 to 1440, got 1441`},
		{"create_reminder", `{"task": 5, "minutes": 5}`, `create_reminder: "task" must be a string, got 5`},
		{"create_microsteps", `{"task": "   "}`, `create_microsteps: required argument "task" is blank (string, the task to break down)`},
		{"create_microsteps", `{"task": "x", "count": 11}`, `create_microsteps: "count" must be an integer from 1 to 10, got 11`},
		{"create_microsteps", `{"task": "` + strings.Repeat("a", 1025) + `"}`, `create_microsteps: "task" is 1025 bytes long, the limit is 1024: shorten it`},
		{"log_micro_win", `{"description": "` + strings.Repeat("a", 501) + `"}`, `log_micro_win: "description" is 501 bytes long, the limit is 500: shorten it`},
		{"log_micro_win", `{"description": "x", "category": "` + strings.Repeat("c", 65) + `"}`, `log_micro_win: "category" is 65 bytes long, the limit is 64: shorten it`},
		{"reframe_thought", `{"thought_type": "sad"}`, `reframe_thought: "thought_type" must be one of perfectionism, catastrophizing, rsd, overwhelm, imposter, got "sad"`},
		{"reframe_thought", `{}`, `reframe_thought: missing required argument "thought_type" (string, type: perfectionism, catastrophizing, rsd, overwhelm, imposter)`},
		{"grounding_exercise", `{"technique": "yoga"}`, `grounding_exercise: "technique" must be one of 5-4-3-2-1, body_scan, simple, got "yoga"`},
		{"start_breathing_exercise", `{"breaths": 11}`, `start_breathing_exercise: "breaths" must be an integer from 1 to 10, got 11`},
		{"suggest_break", `{"duration_minutes": 61}`, `suggest_break: "duration_minutes" must be an integer from 1 to 60, got 61`},
		{"get_current_time", `{"zone": "UTC"}`, `get_current_time: unknown argument "zone"; this tool takes no arguments, send {}`},
		{"log_micro_win", "{\"description\": \"\xff\"}", `log_micro_win: arguments are not valid UTF-8; send {"description": string, "category": string}`},
	}
	for _, tt := range tests {
		t.Run(tt.tool+" "+clipName(tt.raw), func(t *testing.T) {
			got, err := mustTool(t, tt.tool).Validate(json.RawMessage(tt.raw))
			if err == nil {
				t.Fatalf("got %v, want error %q", got, tt.want)
			}
			if !steady.Is(err, steady.Invalid) {
				t.Errorf("got code %q, want %q", steady.ErrorCode(err), steady.Invalid)
			}
			if err.Error() != tt.want {
				t.Errorf("got error\n%s\nwant\n%s", err, tt.want)
			}
		})
	}
}

func TestValidateTooLarge(t *testing.T) {
	raw := `{"task": "` + strings.Repeat(`\u00e9`, 2000) + `", "minutes": 3}`
	_, err := mustTool(t, "create_reminder").Validate(json.RawMessage(raw))
	if !steady.Is(err, steady.Invalid) || !strings.Contains(err.Error(), "the limit is 8192") {
		t.Errorf("got %v, want an Invalid error naming the 8192-byte limit", err)
	}
}

func TestValidateUnknownArgumentsInOrder(t *testing.T) {
	// The first unknown name in sorted order is reported, whatever the map
	// order, so the same mistake always gets the same message.
	for range 20 {
		_, err := mustTool(t, "sensory_check").Validate(json.RawMessage(`{"z": 1, "b": 2, "m": 3}`))
		if want := `sensory_check: unknown argument "b"; this tool takes no arguments, send {}`; err == nil || err.Error() != want {
			t.Fatalf("got %v, want %s", err, want)
		}
	}
}

func TestArgsRevalidate(t *testing.T) {
	// Validated Args marshal to JSON that validates to the same Args: what
	// the recorder stores can be checked again.
	tl := mustTool(t, "create_reminder")
	args, err := tl.Validate(json.RawMessage(`{"task": " water plants ", "minutes": 2.0}`))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(args)
	again, err := tl.Validate(raw)
	if err != nil || !maps.Equal(again, args) {
		t.Errorf("got %v, %v, want %v", again, err, args)
	}
}

func FuzzValidate(f *testing.F) {
	seeds := []string{``, `null`, `{}`, `[]`, `{"minutes": 3}`, `{"minutes": 3.5}`, `{"task": "x", "minutes": 1e9}`,
		`{"thought_type": "RSD"}`, `{"technique": "body scan"}`, `{"description": "\ud800"}`, `{"count": -0}`, `{"a":`}
	for i, s := range seeds {
		f.Add(i, []byte(s))
	}
	tools := agent.Tools()
	f.Fuzz(func(t *testing.T, i int, raw []byte) {
		tl := tools[uint(i)%uint(len(tools))]
		args, err := tl.Validate(raw)
		if err != nil {
			if !steady.Is(err, steady.Invalid) {
				t.Fatalf("got code %q (%v), want invalid", steady.ErrorCode(err), err)
			}
			return
		}
		again, err := json.Marshal(args)
		if err != nil {
			t.Fatal(err)
		}
		if args2, err := tl.Validate(again); err != nil || !maps.Equal(args, args2) {
			t.Fatalf("revalidating %s: got %v, %v, want %v", again, args2, err, args)
		}
	})
}

// clipName keeps subtest names readable.
func clipName(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}
