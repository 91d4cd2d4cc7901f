package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/memory"
)

// MaxMCPSearch bounds memory_search's k: an agent reads every match into
// its context, so a long list costs it more than it tells it.
const MaxMCPSearch = 20

const mcpInstructions = `Steady's memory of the signed-in user, and Steady's 13 support tools.
memory_context gives what is known of the user (call it first, with what they said);
memory_search finds past interventions similar to a situation; memory_record stores one.
The support tools (create_microsteps, start_breathing_exercise, …) run on this MCP session's
state and are recorded into the user's memory; pass "utterance", what the user said, so the
memory knows the situation they were used in.`

// mcpTools serves MCP at /mcp: the user's memory and the support tools,
// for agents that run their own model. The user is always the bearer
// token's, never an argument, so a tool can act on no one else.
type mcpTools struct {
	s       *Server
	handler http.Handler
	// starting makes the first support-tool calls of an MCP session start
	// one agent session between them, not one each. It is held only while
	// a session starts, which is rare next to the calls.
	starting sync.Mutex
}

type principalKey struct{}

// registerMCP mounts the SDK's streamable HTTP handler. s.handle checks
// the token first, so a request without a user's token is answered 401 or
// 403 like any other route, before the SDK reads it.
func (s *Server) registerMCP() {
	t := &mcpTools{s: s}
	srv := mcp.NewServer(&mcp.Implementation{Name: "steady", Title: "Steady", Version: "1"}, &mcp.ServerOptions{
		Instructions: mcpInstructions,
		// The MCP session's id is the agent session's: a UUIDv7, as the
		// memory wants of a session id. No Logger: the SDK logs every
		// session at Info, and a client's protocol mistakes as errors.
		GetSessionID: func() string { return uuid.Must(uuid.NewV7()).String() },
	})
	t.addMemoryTools(srv)
	t.addSupportTools(srv)
	t.handler = t.transport(srv)
	for _, method := range []string{"POST", "GET", "DELETE"} {
		s.handle(method, "/mcp", User, t.serve)
	}
}

// transport is the SDK's handler behind its bearer-token check, which
// passes the user on to the SDK (see verifiedPrincipal).
func (t *mcpTools) transport(srv *mcp.Server) http.Handler {
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{
		Logger: t.s.log,
		// An MCP session left idle goes when its agent session would.
		SessionTimeout: sessionTTL(t.s.cfg.SessionTTL),
		// The protection is for local servers that answer anyone; every
		// request here carries a bearer token, which a rebound page does
		// not have, and it would refuse a reverse proxy on the same host.
		DisableLocalhostProtection: true,
	})
	return auth.RequireBearerToken(verifiedPrincipal, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h)
}

// verifiedPrincipal hands the SDK the user s.handle already resolved: it
// binds each MCP session to that user, and gives tools the user's id.
// Account tokens expire in the account store, which has checked them.
func verifiedPrincipal(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
	who, ok := ctx.Value(principalKey{}).(Principal)
	if !ok || who.User.ID == "" {
		return nil, auth.ErrInvalidToken
	}
	return &auth.TokenInfo{UserID: who.User.ID}, nil
}

func sessionTTL(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return memory.DefaultSessionTTL
	}
	return ttl
}

// serve passes the request to the SDK. A client that deletes its MCP
// session ends the agent session with it, so its interventions are judged
// now rather than when it would have expired.
func (t *mcpTools) serve(w http.ResponseWriter, r *http.Request, who Principal) error {
	var out http.ResponseWriter = w
	if r.Header.Get("Mcp-Session-Id") != "" {
		out = &hideOwner{ResponseWriter: w}
	}
	sw := &statusWriter{ResponseWriter: out}
	t.handler.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), principalKey{}, who)))
	if r.Method == http.MethodDelete && sw.status() == http.StatusNoContent {
		t.end(r.Context(), who.User.ID, r.Header.Get("Mcp-Session-Id"))
	}
	return nil
}

// end ends the user's agent session id, if one was started. The answer is
// already written: a failure can only be logged.
func (t *mcpTools) end(ctx context.Context, user, id string) {
	sess, ok := t.s.state.sessions.take(user, id)
	if !ok {
		return // no support tool was called, or it ended already
	}
	if _, err := t.s.cfg.Agent.End(ctx, sess); err != nil {
		t.s.log.Warn("MCP session not ended cleanly", "session_id", id, "err", err)
		return
	}
	t.s.flush(ctx)
}

// mcpUser is the user of the request that carried a tool call.
func mcpUser(extra *mcp.RequestExtra) (string, error) {
	if extra == nil || extra.TokenInfo == nil || extra.TokenInfo.UserID == "" {
		return "", steady.Errorf(steady.Unauthorized, "server", "sign in first: send Authorization: Bearer <token>")
	}
	return extra.TokenInfo.UserID, nil
}

// toolError is what an MCP client reads of a failed call: a Steady
// error's message, for the model to act on, but never an internal error's
// detail, which may name files or hosts.
func (t *mcpTools) toolError(name string, err error) error {
	var e *steady.Error
	switch {
	case steady.ErrorCode(err) == steady.Internal:
		t.s.log.Error("MCP tool failed", "tool", name, "err", err)
		return errors.New("something went wrong on our side; it has been logged")
	case errors.As(err, &e) && e.Msg != "":
		return errors.New(e.Msg)
	}
	return err
}

// MCPMatch is a memory_search result: an intervention as an agent reads it,
// without the embedding, which says nothing to a model.
type MCPMatch struct {
	ID         string             `json:"id"`
	Tool       string             `json:"tool"`
	Category   memory.Category    `json:"category"`
	Context    string             `json:"context" jsonschema:"what the user said, their situation"`
	Text       string             `json:"text" jsonschema:"what was done or said for them"`
	Task       string             `json:"task,omitempty"`
	Outcome    memory.Outcome     `json:"outcome"`
	Scores     map[string]float64 `json:"scores,omitempty"`
	Similarity float64            `json:"similarity" jsonschema:"cosine similarity with the query"`
	CreatedAt  time.Time          `json:"created_at"`
}

type searchInput struct {
	Query       string `json:"query"`
	K           int    `json:"k,omitempty"`
	AllOutcomes bool   `json:"all_outcomes,omitempty"`
}

type searchOutput struct {
	Matches []MCPMatch `json:"matches"`
}

type recordInput struct {
	Tool    string         `json:"tool"`
	Context string         `json:"context"`
	Text    string         `json:"text"`
	Task    string         `json:"task,omitempty"`
	Outcome memory.Outcome `json:"outcome,omitempty"`
}

type recordOutput struct {
	ID      string         `json:"id" jsonschema:"the intervention's id"`
	Outcome memory.Outcome `json:"outcome"`
}

type contextInput struct {
	Utterance string `json:"utterance,omitempty"`
}

type contextOutput struct {
	PromptContext string `json:"prompt_context" jsonschema:"what the memory knows of the user, for a system prompt"`
	// DynamicContext is "" when no utterance was given, or nothing similar helped.
	DynamicContext string `json:"dynamic_context,omitempty" jsonschema:"past interventions that helped in situations like the utterance"`
}

// addMemoryTools adds the memory tools. Their input schemas are written
// out rather than inferred from the input types, to carry the bounds,
// defaults and allowed values the SDK then enforces.
func (t *mcpTools) addMemoryTools(srv *mcp.Server) {
	mcp.AddTool(srv, &mcp.Tool{Name: "memory_search", InputSchema: searchSchema(),
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true},
		Description: "Search the user's past interventions for those most similar to a situation. " +
			"By default only those that helped (task_completed, re_engaged); all_outcomes includes the rest."},
		t.search)
	mcp.AddTool(srv, &mcp.Tool{Name: "memory_record", InputSchema: recordSchema(),
		Description: "Record an intervention into the user's memory: what was done (text) with which tool, " +
			"in which situation (context). Returns its id. The outcome defaults to the tool's starting one."},
		t.record)
	mcp.AddTool(srv, &mcp.Tool{Name: "memory_context", InputSchema: contextSchema(),
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true},
		Description: "What the memory knows of the user, to put in a system prompt: guidance for their profile, " +
			"recent reflections, what has worked. With an utterance, also past interventions that helped in similar situations."},
		t.promptContext)
}

func (t *mcpTools) search(ctx context.Context, req *mcp.CallToolRequest, in searchInput) (*mcp.CallToolResult, searchOutput, error) {
	user, err := mcpUser(req.Extra)
	if err != nil {
		return nil, searchOutput{}, err
	}
	if strings.TrimSpace(in.Query) == "" {
		return nil, searchOutput{}, errors.New("query: say what to search for")
	}
	ms, err := t.s.cfg.Memory.Search(ctx, user, memory.Query{Text: in.Query, K: in.K, AllOutcomes: in.AllOutcomes})
	if err != nil {
		return nil, searchOutput{}, t.toolError("memory_search", err)
	}
	out := searchOutput{Matches: make([]MCPMatch, len(ms))}
	for i, m := range ms {
		out.Matches[i] = MCPMatch{ID: m.ID, Tool: m.Tool, Category: m.Category, Context: m.Context, Text: m.Text,
			Task: m.Task, Outcome: m.Outcome, Scores: m.Scores, Similarity: m.Similarity, CreatedAt: m.CreatedAt}
	}
	return nil, out, nil
}

// record stores the intervention now, not through the recorder, so that
// the caller gets an id that is in the memory when the call returns.
func (t *mcpTools) record(ctx context.Context, req *mcp.CallToolRequest, in recordInput) (*mcp.CallToolResult, recordOutput, error) {
	user, err := mcpUser(req.Extra)
	if err != nil {
		return nil, recordOutput{}, err
	}
	tool, ok := agent.LookupTool(in.Tool)
	if !ok {
		return nil, recordOutput{}, errors.New("tool: want one of the 13 support tools")
	}
	if in.Outcome == "" {
		in.Outcome = tool.Outcome // "" for a read-only tool: the memory's default, pending
	}
	iv, err := t.s.cfg.Memory.Record(ctx, memory.Intervention{UserID: user, SessionID: req.Session.ID(),
		Tool: tool.Name, Category: tool.Category, Context: in.Context, Text: in.Text, Task: in.Task, Outcome: in.Outcome})
	if err != nil {
		return nil, recordOutput{}, t.toolError("memory_record", err)
	}
	return nil, recordOutput{ID: iv.ID, Outcome: iv.Outcome}, nil
}

func (t *mcpTools) promptContext(ctx context.Context, req *mcp.CallToolRequest, in contextInput) (*mcp.CallToolResult, contextOutput, error) {
	user, err := mcpUser(req.Extra)
	if err != nil {
		return nil, contextOutput{}, err
	}
	var out contextOutput
	if out.PromptContext, err = t.s.cfg.Memory.PromptContext(ctx, user); err != nil {
		return nil, contextOutput{}, t.toolError("memory_context", err)
	}
	if strings.TrimSpace(in.Utterance) == "" {
		return nil, out, nil
	}
	if out.DynamicContext, err = t.s.cfg.Memory.DynamicContext(ctx, user, in.Utterance, 0); err != nil {
		return nil, contextOutput{}, t.toolError("memory_context", err)
	}
	return nil, out, nil
}

func searchSchema() map[string]any {
	return objectSchema(map[string]any{
		"query": map[string]any{"type": "string", "description": "the situation: what the user said or is facing; matched by meaning"},
		"k": map[string]any{"type": "integer", "minimum": 1, "maximum": MaxMCPSearch, "default": 5,
			"description": "how many matches at most"},
		"all_outcomes": map[string]any{"type": "boolean", "default": false,
			"description": "include interventions that did not help, or whose outcome is not known yet"},
	}, "query")
}

func recordSchema() map[string]any {
	var names []any
	for _, tool := range agent.Tools() {
		names = append(names, tool.Name)
	}
	outcomes := make([]any, len(memory.Outcomes))
	for i, o := range memory.Outcomes {
		outcomes[i] = string(o)
	}
	return objectSchema(map[string]any{
		"tool":    map[string]any{"type": "string", "enum": names, "description": "the support tool used"},
		"context": map[string]any{"type": "string", "description": "the situation: what the user said"},
		"text":    map[string]any{"type": "string", "description": "what was done or said for the user"},
		"task":    map[string]any{"type": "string", "description": "the task the user was working on, if any"},
		"outcome": map[string]any{"type": "string", "enum": outcomes, "description": "what happened after, if known"},
	}, "tool", "context", "text")
}

func contextSchema() map[string]any {
	return objectSchema(map[string]any{
		"utterance": map[string]any{"type": "string", "description": "what the user just said, to find what helped in similar situations"},
	})
}

func objectSchema(props map[string]any, required ...string) map[string]any {
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// utteranceParam is the argument each support tool takes on MCP besides
// its own: what the user said, which a voice or text session knows but an
// MCP client must tell, so the memory files the call under its situation.
const utteranceParam = "utterance"

// addSupportTools adds the 13 support tools with the low-level AddTool:
// the agent validates their arguments itself, more leniently than a JSON
// Schema validator would (enum values in any case, blank as absent), and
// its message is what a model needs to correct a call.
func (t *mcpTools) addSupportTools(srv *mcp.Server) {
	for _, lt := range agent.LLMTools() {
		tool, _ := agent.LookupTool(lt.Name)
		srv.AddTool(&mcp.Tool{Name: lt.Name, Description: lt.Description, InputSchema: withUtterance(lt.Parameters),
			Annotations: &mcp.ToolAnnotations{ReadOnlyHint: tool.ReadOnly}}, t.supportTool(lt.Name))
	}
}

func withUtterance(params map[string]any) map[string]any {
	s := maps.Clone(params)
	props, _ := s["properties"].(map[string]any)
	props = maps.Clone(props)
	if props == nil {
		props = map[string]any{}
	}
	props[utteranceParam] = map[string]any{"type": "string",
		"description": "what the user said that led to this call; recorded as the situation it was used in"}
	s["properties"] = props
	return s
}

// supportTool runs a support tool through the agent's bridge on the MCP
// session's agent session, as a voice or text session would.
func (t *mcpTools) supportTool(name string) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res, err := t.callSupportTool(ctx, req, name)
		if err != nil {
			if res.Error != "" {
				return failedResult(res.Result), nil // the bridge's words for the model
			}
			return failedResult(t.toolError(name, err).Error()), nil
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: res.Result}}, StructuredContent: res}, nil
	}
}

func (t *mcpTools) callSupportTool(ctx context.Context, req *mcp.CallToolRequest, name string) (agent.ToolCallResult, error) {
	user, err := mcpUser(req.Extra)
	if err != nil {
		return agent.ToolCallResult{}, err
	}
	utterance, args, err := splitUtterance(req.Params.Arguments)
	if err != nil {
		return agent.ToolCallResult{}, err
	}
	sess, err := t.session(ctx, req.Session, user)
	if err != nil {
		return agent.ToolCallResult{}, err
	}
	if utterance != "" {
		if err := t.s.cfg.Agent.Observe(ctx, sess, utterance); err != nil {
			return agent.ToolCallResult{}, err
		}
	}
	return t.s.cfg.Agent.Bridge().HandleToolCall(ctx, sess, name, args)
}

func failedResult(msg string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: msg}}, IsError: true}
}

// splitUtterance takes the utterance out of a call's arguments and leaves
// the tool's own. Arguments that are not an object go to the tool as they
// are, for it to say what is wrong with them.
func splitUtterance(raw json.RawMessage) (string, json.RawMessage, error) {
	var args map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &args) != nil || args[utteranceParam] == nil {
		return "", raw, nil
	}
	var utterance *string
	if err := json.Unmarshal(args[utteranceParam], &utterance); err != nil {
		return "", nil, steady.Errorf(steady.Invalid, "server", "utterance: want a string, what the user said")
	}
	delete(args, utteranceParam)
	rest, err := json.Marshal(args)
	if err != nil || utterance == nil {
		return "", rest, err
	}
	return strings.TrimSpace(*utterance), rest, nil
}

// session returns the agent session of the MCP session, starting it on
// first use under the MCP session's id. It lives in the sessions registry
// with the others: bounded per user, ended when idle, when the user
// forgets their memory, and at Close.
func (t *mcpTools) session(ctx context.Context, ss *mcp.ServerSession, user string) (*agent.Session, error) {
	reg := t.s.state.sessions
	if sess, err := reg.get(user, ss.ID()); !errors.Is(err, errNoSession) {
		return sess, err
	}
	t.starting.Lock()
	defer t.starting.Unlock()
	if sess, err := reg.get(user, ss.ID()); !errors.Is(err, errNoSession) {
		return sess, err // another call started it meanwhile
	}
	if err := reg.reserve(user); err != nil {
		return nil, err
	}
	sess, _, err := t.s.cfg.Agent.Start(ctx, user, ss.ID())
	if err != nil {
		reg.release(user)
		return nil, err
	}
	if err := reg.add(sess); err != nil {
		_, _ = t.s.cfg.Agent.End(ctx, sess) // as Close would have
		return nil, err
	}
	return sess, nil
}

// hideOwner answers another user's MCP session id exactly as an unknown
// one: the SDK says 403 "session user mismatch", which would confirm that
// the id exists. The REST routes do the same (404 for both).
type hideOwner struct {
	http.ResponseWriter
	held   bool // a 403 is held until its body shows what it is
	hidden bool
}

const sessionMismatch = "session user mismatch"

func (h *hideOwner) WriteHeader(code int) {
	if code == http.StatusForbidden {
		h.held = true
		return
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *hideOwner) Write(b []byte) (int, error) {
	switch {
	case h.hidden:
		return len(b), nil
	case h.held && strings.HasPrefix(string(b), sessionMismatch):
		h.held, h.hidden = false, true
		h.ResponseWriter.WriteHeader(http.StatusNotFound)
		_, err := io.WriteString(h.ResponseWriter, "session not found\n")
		return len(b), err
	case h.held:
		h.held = false
		h.ResponseWriter.WriteHeader(http.StatusForbidden)
	}
	return h.ResponseWriter.Write(b)
}

// Flush keeps event streams flowing through the wrapper.
func (h *hideOwner) Flush() {
	if f, ok := h.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
