package sim

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/memory"
)

// Limits of a run.
const (
	MaxUsers    = 10000
	MaxSessions = 100
)

// Config describes a run.
type Config struct {
	Users      int    // simulated users, 1–MaxUsers
	Sessions   int    // sessions per user, 1–MaxSessions
	Situations int    // situations raised per session, 1–len(Situations()); 0 means 3
	Seed       uint64 // the same seed gives the same personas, words and draws
	// Spread is how much simulated people differ in what helps them: the
	// standard deviation of a person's affinity for a tool on the logit
	// scale, 0–MaxSpread; 0 means DefaultSpread.
	Spread float64

	Embedder embed.Embedder // required
	// OpenStore opens an empty memory store for one policy; every policy
	// gets its own, so none learns from another's users. Run closes it.
	OpenStore func(ctx context.Context, policy string) (memory.Store, error)
	Dir       string // required: where the recorders keep their spool files

	Scores   agent.ScoreSink // optional: the judge's scores as feedback on tool calls
	Workers  int             // users of one policy run at once; 0 means 2
	Progress func(done, total int)
	Logger   *slog.Logger // for the recorders; nil means slog.Default()
}

func (c *Config) check() error {
	if c.Situations == 0 {
		c.Situations = 3
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.Spread == 0 {
		c.Spread = DefaultSpread
	}
	switch {
	case c.Users < 1 || c.Users > MaxUsers:
		return steady.Errorf(steady.Invalid, "sim.Run", "%d users: want 1 to %d", c.Users, MaxUsers)
	case c.Sessions < 1 || c.Sessions > MaxSessions:
		return steady.Errorf(steady.Invalid, "sim.Run", "%d sessions: want 1 to %d", c.Sessions, MaxSessions)
	case c.Situations < 1 || c.Situations > len(situations):
		return steady.Errorf(steady.Invalid, "sim.Run", "%d situations a session: want 1 to %d", c.Situations, len(situations))
	case !(c.Spread > 0 && c.Spread <= MaxSpread): // also refuses NaN
		return steady.Errorf(steady.Invalid, "sim.Run", "spread %g: want above 0 and at most %g", c.Spread, MaxSpread)
	case c.Embedder == nil || c.OpenStore == nil || c.Dir == "":
		return steady.Errorf(steady.Invalid, "sim.Run", "Embedder, OpenStore and Dir are required")
	}
	return nil
}

// outcome is what happened to one situation a user raised.
type outcome struct {
	Success    bool // the first tool helped
	Recognised bool // the engine recognised the situation from the first words
	Judged     int  // the first tool's stored score agrees with what happened: 1, disagrees: 0, none: -1
	tool, id   string
}

// Run runs every policy over the same users and returns the results. The
// policies run at once, each on its own store.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	personas := newPersonas(cfg.Seed, cfg.Users, cfg.Spread)
	names := Policies()
	outs := make([][][][]outcome, len(names)) // policy → user → session → situation
	errs := make([]error, len(names))
	tick := ticker(cfg.Progress, len(names)*cfg.Users*cfg.Sessions)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { outs[i], errs[i] = runPolicy(ctx, cfg, name, personas, tick) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("sim: policy %s: %w", names[i], err)
		}
	}
	return summarise(cfg, personas, names, outs), nil
}

// ticker counts finished sessions for the progress callback, which it
// calls one at a time.
func ticker(progress func(done, total int), total int) func() {
	var mu sync.Mutex
	done := 0
	return func() {
		if progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		done++
		progress(done, total)
	}
}

// env is one policy's stack: its own memory, recorder and agent.
type env struct {
	cfg      Config
	policy   string
	memory   *memory.Service
	recorder *agent.Recorder
	agent    *agent.Agent
	truth    *truth
	tick     func()
}

func runPolicy(ctx context.Context, cfg Config, name string, personas []Persona, tick func()) ([][][]outcome, error) {
	st, err := cfg.OpenStore(ctx, name)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	e := &env{cfg: cfg, policy: name, truth: &truth{}, tick: tick}
	if err := e.open(ctx, st); err != nil {
		return nil, err
	}
	defer e.recorder.Close(context.WithoutCancel(ctx))
	out := make([][][]outcome, len(personas))
	errs := make([]error, len(personas))
	users := make(chan int)
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Go(func() {
			for i := range users {
				out[i], errs[i] = e.runUser(ctx, &personas[i])
			}
		})
	}
	for i := range personas {
		users <- i
	}
	close(users)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (e *env) open(ctx context.Context, st memory.Store) error {
	var err error
	e.memory, err = memory.New(memory.Config{Store: st, Embedder: e.cfg.Embedder,
		Context: memory.ContextOptions{MinScore: 0.7}})
	if err != nil {
		return err
	}
	e.recorder, err = agent.NewRecorder(agent.RecorderConfig{Memory: e.memory,
		SpoolPath: filepath.Join(e.cfg.Dir, e.policy+".spool"), Logger: e.cfg.Logger})
	if err != nil {
		return err
	}
	pol, noMemory := policyFor(e.policy, e.truth)
	e.agent, err = agent.New(ctx, agent.Config{Memory: e.memory, Recorder: e.recorder,
		Seed: e.cfg.Seed, NoMemory: noMemory, Policy: pol, Scores: e.cfg.Scores})
	if err != nil {
		e.recorder.Close(context.WithoutCancel(ctx))
	}
	return err
}

// userID names a user per policy, so that policies sharing one Redis never
// share a user's data.
func (e *env) userID(p *Persona) string { return fmt.Sprintf("sim-%s-%05d", e.policy, p.Index+1) }

// runUser starts the user afresh, runs their sessions and forgets them.
func (e *env) runUser(ctx context.Context, p *Persona) ([][]outcome, error) {
	id := e.userID(p)
	if _, err := e.memory.Forget(ctx, id); err != nil {
		return nil, err
	}
	out := make([][]outcome, e.cfg.Sessions)
	for j := range out {
		var err error
		if out[j], err = e.runSession(ctx, p, id, j); err != nil {
			return nil, err
		}
		e.tick()
	}
	_, err := e.memory.Forget(ctx, id)
	return out, err
}

func (e *env) runSession(ctx context.Context, p *Persona, userID string, j int) ([]outcome, error) {
	s, _, err := e.agent.Start(ctx, userID, fmt.Sprintf("s%03d", j+1))
	if err != nil {
		return nil, err
	}
	var out []outcome
	for _, x := range plan(e.cfg.Seed, p.Index, j, e.cfg.Situations) {
		o, err := e.raise(ctx, s, p, x)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if _, err := e.agent.End(ctx, s); err != nil {
		return nil, err
	}
	if err := e.recorder.Flush(ctx); err != nil {
		return nil, err
	}
	return out, e.checkJudged(ctx, userID, out)
}

// raise plays one situation: the user says it; if the first tool did not
// help, they say so and the agent gets one more try.
func (e *env) raise(ctx context.Context, s *agent.Session, p *Persona, x raise) (outcome, error) {
	e.truth.set(s.UserID, p, x.Situation)
	rep, err := e.say(ctx, s, x.Text)
	if err != nil {
		return outcome{}, err
	}
	first := firstTool(rep)
	o := outcome{Recognised: rep.Situation == x.Situation, Judged: -1, tool: first.Name, id: first.InterventionID}
	o.Success = x.U[0] < p.Help(x.Situation, first.Name)
	if o.Success {
		_, err = e.say(ctx, s, x.Thanks[0])
		return o, err
	}
	if rep, err = e.say(ctx, s, x.Retry); err != nil {
		return o, err
	}
	// A second try that fails gets no answer: the user moves on, and the
	// engine judges it unanswered, as it would a real one.
	if second := firstTool(rep).Name; x.U[1] < p.Help(x.Situation, second) {
		_, err = e.say(ctx, s, x.Thanks[1])
	}
	return o, err
}

// say is one user turn. The recorder is flushed after it, as the seconds
// between real turns would: the next turn's search sees what this one
// recorded, on every run alike.
func (e *env) say(ctx context.Context, s *agent.Session, text string) (agent.Reply, error) {
	rep, err := e.agent.Turn(ctx, s, text)
	if err != nil {
		return rep, err
	}
	return rep, e.recorder.Flush(ctx)
}

func firstTool(r agent.Reply) agent.ToolCallResult {
	if len(r.ToolCalls) == 0 || r.ToolCalls[0].Error != "" {
		return agent.ToolCallResult{}
	}
	return r.ToolCalls[0]
}

// checkJudged compares the score the engine stored on each first tool with
// what really happened: the engine only learns what it hears.
func (e *env) checkJudged(ctx context.Context, userID string, out []outcome) error {
	for i := range out {
		if out[i].id == "" {
			continue
		}
		iv, err := e.memory.Intervention(ctx, userID, out[i].id)
		if steady.Is(err, steady.NotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if score, ok := iv.Scores[agent.ScoreName]; ok {
			out[i].Judged = 0
			if (score >= 0.7) == out[i].Success {
				out[i].Judged = 1
			}
		}
	}
	return nil
}
