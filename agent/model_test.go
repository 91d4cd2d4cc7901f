package agent_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/steady-voice/steady/llm"
	"github.com/steady-voice/steady/memory"
)

// chatCompletions speaks OpenAI's Chat Completions wire format: the first
// request of a turn gets a tool call, the request carrying its result a
// reply in words.
type chatCompletions struct {
	mu       sync.Mutex
	requests []map[string]any
}

func (c *chatCompletions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer test-key" {
		http.Error(w, `{"error": {"message": "bad request"}}`, http.StatusBadRequest)
		return
	}
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.requests = append(c.requests, req)
	c.mu.Unlock()
	msgs, _ := req["messages"].([]any)
	last, _ := msgs[len(msgs)-1].(map[string]any)
	msg := map[string]any{"role": "assistant", "content": "One tiny step at a time. Start with the first one."}
	finish := "stop"
	if _, tools := req["tools"]; !tools { // the end-of-session reflection
		msg["content"] = "Small concrete steps get this user going; offer them first."
	} else if last["role"] == "user" {
		msg = map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
			"id": "call_abc", "type": "function",
			"function": map[string]any{"name": "create_microsteps", "arguments": `{"task":"file my taxes","count":3}`},
		}}}
		finish = "tool_calls"
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": req["model"],
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
		"usage":   map[string]any{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
	})
}

func TestModelEngineRunsToolsThroughTheBridge(t *testing.T) {
	srv := &chatCompletions{}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	m, err := llm.NewOpenAI(llm.OpenAIConfig{BaseURL: hs.URL + "/v1", APIKey: "test-key", Model: "test-model"})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, withModel(m))
	s := r.start(t, "alice", "s1")
	rep := r.turn(t, s, "taxes are due and I keep avoiding them")
	if rep.Text != "One tiny step at a time. Start with the first one." {
		t.Errorf("reply %q, want the model's words", rep.Text)
	}
	if len(rep.ToolCalls) != 1 || rep.ToolCalls[0].Name != "create_microsteps" || rep.ToolCalls[0].Error != "" {
		t.Fatalf("tool calls %+v, want create_microsteps", rep.ToolCalls)
	}
	st, _ := r.memory.Session(r.ctx, "alice", "s1")
	if st.Task != "file my taxes" || len(st.Steps) != 3 {
		t.Errorf("session state %+v, want the model's task in 3 steps", st)
	}
	ivs := r.interventions(t, "alice")
	if len(ivs) != 1 || ivs[0].Context != "taxes are due and I keep avoiding them" || ivs[0].Outcome != memory.TaskStarted {
		t.Errorf("interventions %+v", ivs)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.requests) != 2 {
		t.Fatalf("%d model requests, want 2", len(srv.requests))
	}
	first, second := srv.requests[0], srv.requests[1]
	if tools, _ := first["tools"].([]any); len(tools) != 13 {
		t.Errorf("first request offers %d tools, want 13", len(tools))
	}
	sys, _ := first["messages"].([]any)[0].(map[string]any)
	if sys["role"] != "system" || !strings.Contains(sys["content"].(string), "You are Steady") || !strings.Contains(sys["content"].(string), memory.NoHistory) {
		t.Errorf("system message %v: want the base prompt and the memory's context", sys)
	}
	msgs := second["messages"].([]any)
	tool := msgs[len(msgs)-1].(map[string]any)
	if tool["role"] != "tool" || tool["tool_call_id"] != "call_abc" || !strings.Contains(tool["content"].(string), "file my taxes") {
		t.Errorf("second request's last message %v: want the tool's result for call_abc", tool)
	}
}

func TestModelWritesTheReflection(t *testing.T) {
	srv := &chatCompletions{}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	m, err := llm.NewOpenAI(llm.OpenAIConfig{BaseURL: hs.URL + "/v1", APIKey: "test-key", Model: "test-model"})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, withModel(m))
	if _, err := r.memory.Reflect(r.ctx, memory.Reflection{UserID: "alice", SessionID: "s0", Insight: "Breaks help after long stretches."}); err != nil {
		t.Fatal(err)
	}
	s := r.start(t, "alice", "s1")
	r.turn(t, s, "taxes are due and I keep avoiding them")
	end, err := r.agent.End(r.ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if end.Reflection.Insight != "Small concrete steps get this user going; offer them first." {
		t.Errorf("insight %q, want the model's", end.Reflection.Insight)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	req := srv.requests[len(srv.requests)-1]
	msgs := req["messages"].([]any)
	sys := msgs[0].(map[string]any)["content"].(string)
	user := msgs[len(msgs)-1].(map[string]any)["content"].(string)
	if !strings.Contains(sys, "Breaks help after long stretches.") || !strings.Contains(user, "taxes are due") || !strings.Contains(user, "create_microsteps") {
		t.Errorf("reflection request: system %q, transcript %q; want the earlier insight and the session", sys, user)
	}
}
