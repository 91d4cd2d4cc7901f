package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/server"
)

// bearer adds a token to every request, as an MCP client set up with a
// Steady token does.
type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(req)
}

// mcpSession connects the SDK's own client to /mcp with token; the
// session is closed (DELETE /mcp) before the rig shuts down.
func (r *rig) mcpSession(token string) *mcp.ClientSession {
	r.t.Helper()
	hc := &http.Client{Transport: bearer{token, r.http.Client().Transport}}
	c := mcp.NewClient(&mcp.Implementation{Name: "steady-test", Version: "1"}, nil)
	cs, err := c.Connect(r.ctx, &mcp.StreamableClientTransport{Endpoint: r.url + "/mcp", HTTPClient: hc, MaxRetries: -1}, nil)
	if err != nil {
		r.t.Fatalf("connect to /mcp: %v", err)
	}
	r.t.Cleanup(func() {
		if err := cs.Close(); err != nil {
			r.t.Errorf("close the MCP session: %v", err)
		}
	})
	return cs
}

// call calls a tool that must succeed and decodes its structured result.
func call[T any](t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) T {
	t.Helper()
	return decode[T](t, name, callTool(t, cs, name, args))
}

// decode decodes the structured result of a call that must have succeeded.
func decode[T any](t *testing.T, name string, res *mcp.CallToolResult) T {
	t.Helper()
	if res.IsError {
		t.Fatalf("%s: got an error result %q, want success", name, text(res))
	}
	raw, err := json.Marshal(res.StructuredContent)
	must(t, err)
	var out T
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: structured content %s: %v", name, raw, err)
	}
	return out
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

type searchResult struct {
	Matches []server.MCPMatch `json:"matches"`
}

func search(t *testing.T, cs *mcp.ClientSession, args map[string]any) []server.MCPMatch {
	t.Helper()
	return call[searchResult](t, cs, "memory_search", args).Matches
}

func TestMCPListsTools(t *testing.T) {
	r := newRig(t)
	cs := r.mcpSession(r.user("Ana", "ana@example.com").Token())
	res, err := cs.ListTools(r.ctx, nil)
	must(t, err)
	want := []string{"memory_context", "memory_record", "memory_search"}
	for _, tool := range agent.Tools() {
		want = append(want, tool.Name)
	}
	var got []string
	schemas := map[string]map[string]any{}
	for _, tool := range res.Tools {
		got = append(got, tool.Name)
		schemas[tool.Name], _ = tool.InputSchema.(map[string]any)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("tools %v, want %v", got, want)
	}
	props, _ := schemas["create_microsteps"]["properties"].(map[string]any)
	for _, p := range []string{"task", "count", "utterance"} {
		if props[p] == nil {
			t.Errorf("create_microsteps takes no %q: input schema %v", p, schemas["create_microsteps"])
		}
	}
	if req, _ := schemas["memory_search"]["required"].([]any); !slices.Equal(req, []any{"query"}) {
		t.Errorf("memory_search requires %v, want [query]", req)
	}
}

func TestMCPSupportToolIsRecorded(t *testing.T) {
	r := newRig(t)
	cs := r.mcpSession(r.user("Ana", "ana@example.com").Token())
	const said = "I need to clean my room but I don't know where to start"
	res := call[agent.ToolCallResult](t, cs, "create_microsteps", map[string]any{"task": "clean my room", "utterance": said})
	if res.Result == "" || res.InterventionID == "" {
		t.Fatalf("create_microsteps gave %+v, want a result and an intervention id", res)
	}
	must(t, r.recorder.Flush(r.ctx))

	raw := callTool(t, cs, "memory_search", map[string]any{"query": "my room is a mess and I can't start", "all_outcomes": true})
	if strings.Contains(text(raw), "embedding") {
		t.Errorf("memory_search answered %s, want no embedding", text(raw))
	}
	matches := decode[searchResult](t, "memory_search", raw).Matches
	if len(matches) != 1 {
		t.Fatalf("found %d matches, want the create_microsteps intervention", len(matches))
	}
	m := matches[0]
	if m.ID != res.InterventionID || m.Tool != "create_microsteps" || m.Context != said || m.Similarity <= 0 {
		t.Errorf("found %+v, want intervention %s of create_microsteps in context %q", m, res.InterventionID, said)
	}
}

func TestMCPRecordThenSearch(t *testing.T) {
	r := newRig(t)
	cs := r.mcpSession(r.user("Ana", "ana@example.com").Token())
	rec := call[struct{ ID, Outcome string }](t, cs, "memory_record", map[string]any{
		"tool": "start_breathing_exercise", "context": "my chest is tight before the meeting",
		"text": "Guided four slow breaths"})
	if rec.ID == "" || rec.Outcome != "re_engaged" {
		t.Fatalf("memory_record gave %+v, want an id and the tool's starting outcome re_engaged", rec)
	}
	matches := search(t, cs, map[string]any{"query": "I feel tight and anxious about a meeting", "k": 3})
	if len(matches) != 1 || matches[0].ID != rec.ID || matches[0].Text != "Guided four slow breaths" ||
		matches[0].Category != "emotional" {
		t.Errorf("found %+v, want the recorded intervention %s", matches, rec.ID)
	}
}

func TestMCPContext(t *testing.T) {
	r := newRig(t)
	cs := r.mcpSession(r.user("Ana", "ana@example.com").Token())
	type promptContext struct {
		Prompt  string `json:"prompt_context"`
		Dynamic string `json:"dynamic_context"`
	}
	got := call[promptContext](t, cs, "memory_context", nil)
	if got.Prompt == "" || got.Dynamic != "" {
		t.Errorf("context without an utterance %+v, want a prompt context only", got)
	}
	call[struct{ ID string }](t, cs, "memory_record", map[string]any{"tool": "suggest_break",
		"context": "I've been staring at this spreadsheet for hours", "text": "Suggested a five minute walk",
		"outcome": "task_completed"})
	got = call[promptContext](t, cs, "memory_context", map[string]any{"utterance": "I've been staring at the spreadsheet all day"})
	if !strings.Contains(got.Dynamic, "suggest_break") && !strings.Contains(got.Dynamic, "five minute walk") {
		t.Errorf("dynamic context %q, want the break that helped", got.Dynamic)
	}
}

func TestMCPNeedsAUserToken(t *testing.T) {
	r := newRig(t)
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"unknown token", "not-a-token", http.StatusUnauthorized},
		{"admin token", adminToken, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(r.ctx, "POST", r.url+"/mcp", strings.NewReader(init))
			must(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("POST /mcp: got status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestMCPUsersAreIsolated(t *testing.T) {
	r := newRig(t)
	ana := r.mcpSession(r.user("Ana", "ana@example.com").Token())
	benToken := r.user("Ben", "ben@example.com").Token()
	ben := r.mcpSession(benToken)
	call[struct{ ID string }](t, ana, "memory_record", map[string]any{"tool": "grounding_exercise",
		"context": "panicking on the train", "text": "Named five things she could see"})
	if got := search(t, ben, map[string]any{"query": "panicking on the train", "all_outcomes": true}); len(got) != 0 {
		t.Errorf("Ben found %+v, want none of Ana's memory", got)
	}
	if got := search(t, ana, map[string]any{"query": "panicking on the train", "all_outcomes": true}); len(got) != 1 {
		t.Errorf("Ana found %d matches, want her own 1", len(got))
	}

	// Ben cannot end, or speak in, Ana's MCP session by its id.
	req, err := http.NewRequestWithContext(r.ctx, "DELETE", r.url+"/mcp", nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+benToken)
	req.Header.Set("Mcp-Session-Id", ana.ID())
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("Ben's DELETE of Ana's session: got status %d, want %d, as for an unknown id", resp.StatusCode, http.StatusNotFound)
	}
	search(t, ana, map[string]any{"query": "still here?"}) // Ana's session lives on
}

func TestMCPBadArguments(t *testing.T) {
	r := newRig(t)
	cs := r.mcpSession(r.user("Ana", "ana@example.com").Token())
	for _, tc := range []struct {
		tool string
		args map[string]any
		want string // in the error result's text
	}{
		{"create_microsteps", map[string]any{}, "task"},
		{"create_microsteps", map[string]any{"task": "clean", "count": 99}, "count"},
		{"schedule_checkin", map[string]any{"minutes": "soon"}, "minutes"},
		{"create_microsteps", map[string]any{"task": "clean", "utterance": 7}, "utterance"},
		{"memory_search", map[string]any{"query": "x", "k": 50}, "k"},
		{"memory_search", map[string]any{"query": "  "}, "query"},
		{"memory_record", map[string]any{"tool": "not_a_tool", "context": "c", "text": "t"}, "tool"},
	} {
		res := callTool(t, cs, tc.tool, tc.args)
		if !res.IsError || !strings.Contains(text(res), tc.want) {
			t.Errorf("%s %v: got error %v, text %q; want an error result about %s", tc.tool, tc.args, res.IsError, text(res), tc.want)
		}
	}
}

// TestMCPSessionEndsWithItsAgentSession checks that closing the MCP
// session ends the agent session behind it, which keeps a reflection.
func TestMCPSessionEndsWithItsAgentSession(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	cs := r.mcpSession(ana.Token()) // closing it again at cleanup does nothing
	call[agent.ToolCallResult](t, cs, "start_breathing_exercise", map[string]any{"utterance": "I'm so stressed"})
	must(t, cs.Close())
	refl, err := ana.Reflections(r.ctx, 0)
	must(t, err)
	if len(refl) != 1 || refl[0].SessionID != cs.ID() {
		t.Errorf("reflections %+v, want one of session %s", refl, cs.ID())
	}
}
