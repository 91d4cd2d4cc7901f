package agent

import (
	"context"
	"encoding/json"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/observe"
)

// ToolCallResult is a tool call as it happened.
type ToolCallResult struct {
	Name   string          `json:"name"`
	Args   json.RawMessage `json:"args"`
	Result string          `json:"result"`
	// Error says what was wrong with the call (bad arguments, unknown
	// tool); Result then tells the model the same.
	Error   string `json:"error,omitempty"`
	CallID  string `json:"call_id,omitempty"` // the call in the trace store
	TraceID string `json:"trace_id,omitempty"`
	// InterventionID is the intervention recorded for the call, if the
	// tool acts.
	InterventionID string `json:"intervention_id,omitempty"`
}

// Bridge runs tool calls — from the offline policy, a text model or a voice
// model — as traced operations on the session's state, and records what
// each acting tool did into memory in the background.
type Bridge struct {
	memory   *memory.Service
	recorder *Recorder
	now      func() time.Time
	ops      map[string]func(context.Context, toolCall) (ToolCallResult, error)
	// progress judges the session's earlier interventions when a tool
	// shows the user moving (a step done, a win logged).
	progress func(ctx context.Context, s *Session, ds []decision)
}

// toolCall is a call's input as the trace shows it.
type toolCall struct {
	session *Session
	tool    Tool
	Name    string          `json:"tool"`
	Args    json.RawMessage `json:"args"`
	ModelID string          `json:"model_call_id,omitempty"`
	// state is the session's state as the caller has just read it, or nil:
	// the tool then starts from it rather than reading it again.
	state *memory.SessionState
}

func newBridge(m *memory.Service, r *Recorder, now func() time.Time, progress func(context.Context, *Session, []decision)) *Bridge {
	b := &Bridge{memory: m, recorder: r, now: now, progress: progress,
		ops: map[string]func(context.Context, toolCall) (ToolCallResult, error){}}
	for _, t := range Tools() {
		b.ops[t.Name] = observe.Op("execute_tool "+t.Name, b.run,
			observe.Kind("TOOL"), observe.GenAIOperation("execute_tool"), observe.ToolName(t.Name))
	}
	b.ops[""] = observe.Op("execute_tool unknown", b.run, observe.Kind("TOOL"), observe.GenAIOperation("execute_tool"))
	return b
}

// HandleToolCall runs the tool name with args (a JSON object) for the
// session. Bad arguments or an unknown tool give a result that tells the
// model what was wrong, together with an Invalid error; a store failure an
// Unavailable error. The same call twice in one turn runs once: the second
// gets the first's result.
func (b *Bridge) HandleToolCall(ctx context.Context, s *Session, name string, args json.RawMessage) (ToolCallResult, error) {
	return b.handle(ctx, s, name, args, "")
}

func (b *Bridge) handle(ctx context.Context, s *Session, name string, args json.RawMessage, modelCallID string) (ToolCallResult, error) {
	return b.call(ctx, toolCall{session: s, Name: name, Args: args, ModelID: modelCallID})
}

// handleFrom is handle for a caller that has just read the session's
// state st: a turn then reads it once, not once more for the tool.
func (b *Bridge) handleFrom(ctx context.Context, s *Session, st memory.SessionState, name string, args json.RawMessage) (ToolCallResult, error) {
	return b.call(ctx, toolCall{session: s, Name: name, Args: args, state: &st})
}

func (b *Bridge) call(ctx context.Context, c toolCall) (ToolCallResult, error) {
	s := c.session
	t, known := LookupTool(c.Name)
	c.tool = t
	key := dedupeKey(t.Name, c.Name, c.Args)
	s.mu.Lock()
	prev, dup := s.answered[key]
	s.mu.Unlock()
	if dup {
		return prev, nil
	}
	op := b.ops[t.Name]
	if !known {
		op = b.ops[""]
	}
	res, err := op(observe.WithAttributes(ctx, callAttrs(c, known)), c)
	if err == nil || steady.ErrorCode(err) == steady.Invalid {
		s.mu.Lock()
		s.answered[key] = res
		s.mu.Unlock()
	}
	return res, err
}

func callAttrs(c toolCall, known bool) map[string]any {
	attrs := map[string]any{"user_id": c.session.UserID, "session_id": c.session.ID, "tool_name": c.Name}
	if known {
		attrs["tool_category"] = string(c.tool.Category)
	}
	if c.ModelID != "" {
		attrs[observe.AttrGenAIToolCallID] = c.ModelID
	}
	return attrs
}

func (b *Bridge) run(ctx context.Context, c toolCall) (ToolCallResult, error) {
	res := ToolCallResult{Name: c.Name, Args: c.Args, CallID: observe.CallID(ctx), TraceID: observe.TraceID(ctx)}
	if c.tool.Name == "" {
		err := steady.Errorf(steady.Invalid, "agent.HandleToolCall", "unknown tool %q; the tools are %s", clipName(c.Name), toolNames())
		return failed(res, err), err
	}
	args, err := c.tool.Validate(c.Args)
	if err != nil {
		return failed(res, err), err
	}
	res.Args = canonical(args)
	st, result, err := b.execute(ctx, c, args)
	if err != nil {
		return failed(res, err), err
	}
	res.Result = result
	c.session.afterTool(c.tool, result, st)
	if !c.tool.ReadOnly {
		res.InterventionID = b.record(ctx, c.session, c.tool, res, st)
	}
	b.progress(ctx, c.session, c.session.byProgress(progressOutcome(c.tool, st), res.InterventionID))
	return res, nil
}

// execute runs the tool on the session's state: read-only tools on a
// snapshot, the others inside the memory layer's optimistic update, so two
// devices of one session never lose each other's changes.
func (b *Bridge) execute(ctx context.Context, c toolCall, args Args) (memory.SessionState, string, error) {
	now := b.now()
	if c.tool.ReadOnly {
		st, err := b.snapshot(ctx, c)
		if err != nil {
			return st, "", err
		}
		result, err := Execute(&st, c.tool, args, now)
		return st, result, err
	}
	var result string
	change := func(st *memory.SessionState) error {
		var err error
		result, err = Execute(st, c.tool, args, now)
		return err
	}
	if c.state != nil {
		st, err := b.memory.UpdateSessionFrom(ctx, *c.state, change)
		return st, result, err
	}
	st, err := b.memory.UpdateSession(ctx, c.session.UserID, c.session.ID, change)
	return st, result, err
}

func (b *Bridge) snapshot(ctx context.Context, c toolCall) (memory.SessionState, error) {
	if c.state != nil {
		return *c.state, nil
	}
	return b.memory.Session(ctx, c.session.UserID, c.session.ID)
}

func (b *Bridge) record(ctx context.Context, s *Session, t Tool, res ToolCallResult, st memory.SessionState) string {
	s.mu.Lock()
	context := s.utterance
	s.mu.Unlock()
	if context == "" {
		context = "User asked for " + t.Name
	}
	iv := memory.Intervention{
		UserID: s.UserID, SessionID: s.ID, Tool: t.Name, Category: t.Category,
		Context: clipBytes(context, memory.MaxContextBytes), Text: clipBytes("Used "+t.Name+": "+res.Result, memory.MaxTextBytes),
		Task: clipBytes(st.Task, memory.MaxTaskBytes), Args: res.Args, Outcome: t.Outcome,
		TraceID: res.TraceID, CallID: res.CallID,
	}
	id := b.recorder.Record(iv)
	s.watch(&pendingIntervention{id: id, tool: t.Name, category: t.Category, reply: res.Result,
		outcome: t.Outcome, callID: res.CallID})
	return id
}

func failed(res ToolCallResult, err error) ToolCallResult {
	msg := err.Error()
	if e, ok := err.(*steady.Error); ok && e.Msg != "" {
		msg = e.Msg
	}
	res.Error = msg
	res.Result = "Error: " + msg
	return res
}

func dedupeKey(canonicalName, name string, args json.RawMessage) string {
	if canonicalName == "" {
		canonicalName = name
	}
	var v any
	if json.Unmarshal(args, &v) == nil {
		if b, err := json.Marshal(v); err == nil { // maps marshal with sorted keys
			return canonicalName + "\x00" + string(b)
		}
	}
	return canonicalName + "\x00" + string(args)
}

func canonical(args Args) json.RawMessage {
	b, err := json.Marshal(args)
	if err != nil {
		return json.RawMessage("{}")
	}
	return b
}

func toolNames() string {
	s := ""
	for i, t := range Tools() {
		if i > 0 {
			s += ", "
		}
		s += t.Name
	}
	return s
}

func clipName(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// clipBytes cuts s to at most n bytes on a rune boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
