package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent/data"
	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/llm"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/observe"
)

// Config wires an Agent.
type Config struct {
	Memory   *memory.Service // required
	Recorder *Recorder       // required: records interventions in the background
	// Model is the text model; nil means the offline policy.
	Model llm.Model
	// Scores receives the judge's scores as feedback on tool calls; nil
	// keeps them in memory only.
	Scores ScoreSink
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Seed makes the offline policy's choices reproducible: the same seed,
	// user, session and history give the same choices.
	Seed uint64
	// NoMemory turns off what the agent learns: no retrieval for the
	// policy or the prompt. For experiments that measure what memory adds.
	NoMemory bool
	// MaxToolSteps bounds a model's tool loop per turn; 0 means 4.
	MaxToolSteps int
	// Policy chooses the offline engine's tools; nil means Bandit.
	Policy Policy
}

// Agent runs conversations: each user turn goes to the engine (the offline
// policy or a model), tools run through the bridge, and outcomes are judged
// and written back to memory.
type Agent struct {
	memory   *memory.Service
	recorder *Recorder
	model    llm.Model
	scores   ScoreSink
	now      func() time.Time
	seed     uint64
	noMemory bool
	maxSteps int
	policy   Policy

	embedder   embed.Embedder // traced
	bridge     *Bridge
	situations *classifier
	replies    *classifier
	thoughts   *classifier

	turnOp  func(context.Context, turnInput) (Reply, error)
	chatOp  func(context.Context, chatInput) (llm.Response, error)
	judgeOp func(context.Context, judgement) (eval.Result, error)
	endOp   func(context.Context, *Session) (Ending, error)
}

// New builds an Agent; it embeds the labelled examples of the offline
// policy and the outcome classifier with the memory's embedder.
func New(ctx context.Context, cfg Config) (*Agent, error) {
	if cfg.Memory == nil || cfg.Recorder == nil {
		return nil, errors.New("agent: Config.Memory and Config.Recorder are required")
	}
	a := &Agent{memory: cfg.Memory, recorder: cfg.Recorder, model: cfg.Model, scores: cfg.Scores,
		now: cfg.Now, seed: cfg.Seed, noMemory: cfg.NoMemory, maxSteps: cfg.MaxToolSteps}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxSteps <= 0 {
		a.maxSteps = 4
	}
	if a.policy = cfg.Policy; a.policy == nil {
		a.policy = Bandit{}
	}
	a.embedder = memory.TracedEmbedder(a.memory.Embedder())
	if err := a.buildClassifiers(ctx); err != nil {
		return nil, err
	}
	a.bridge = newBridge(a.memory, a.recorder, a.now, a.judge)
	a.turnOp = observe.Op("agent.turn", a.turn, observe.Kind("AGENT"), observe.GenAIOperation("invoke_agent"))
	a.judgeOp = observe.Op("agent.judge", a.score, observe.Kind("EVALUATOR"))
	a.chatOp = observe.Op("llm.chat", func(ctx context.Context, in chatInput) (llm.Response, error) {
		return a.model.Generate(ctx, in.req)
	}, observe.Kind("LLM"), observe.GenAIOperation("chat"))
	a.endOp = observe.Op("agent.end_session", a.end, observe.Kind("CHAIN"))
	return a, nil
}

func (a *Agent) buildClassifiers(ctx context.Context) error {
	e := a.memory.Embedder()
	var err error
	if a.situations, err = newClassifier(ctx, e, data.Situations(), 15, false); err != nil {
		return err
	}
	if a.replies, err = newClassifier(ctx, e, data.Replies(), 7, true); err != nil {
		return err
	}
	a.thoughts, err = newClassifier(ctx, e, data.Thoughts(), 5, false)
	return err
}

// Bridge is the agent's tool bridge, for clients that run their own model
// (a voice model, an MCP client) and call Steady's tools directly.
func (a *Agent) Bridge() *Bridge { return a.bridge }

// Engine names what answers the user: "offline" or the model's name.
func (a *Agent) Engine() string {
	if a.model == nil {
		return "offline"
	}
	return a.model.Name()
}

// Start opens a session: the system prompt is built from the user's memory,
// and the greeting is the agent's first line.
func (a *Agent) Start(ctx context.Context, userID, sessionID string) (*Session, string, error) {
	if !memory.ValidID(userID) || !memory.ValidID(sessionID) {
		return nil, "", steady.Errorf(steady.Invalid, "agent.Start", "user and session ids must be 1–%d letters, digits, '-', '_', '.' or '@'", memory.MaxIDBytes)
	}
	s := newSession(userID, sessionID, a.seed, a.now())
	promptCtx := memory.NoHistory
	if !a.noMemory {
		var err error
		if promptCtx, err = a.memory.PromptContext(ctx, userID); err != nil {
			return nil, "", fmt.Errorf("agent: starting session: %w", err)
		}
	}
	s.system = SystemPrompt(promptCtx)
	greeting := greetingFor(promptCtx)
	s.Remember(llm.Message{Role: llm.Assistant, Text: greeting})
	return s, greeting, nil
}
