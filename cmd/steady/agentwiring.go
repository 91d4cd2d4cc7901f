package main

import (
	"context"
	"path/filepath"
	"time"

	steadyerr "github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/llm"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/observe/tracestore"
)

// agentStack is everything a conversation needs, opened together and
// closed together.
type agentStack struct {
	memory   *memory.Service
	recorder *agent.Recorder
	agent    *agent.Agent
	close    func()
}

// minExampleScore is the least effectiveness of a past intervention shown
// to the model as an example: re-engaged or better.
const minExampleScore = 0.7

// openAgent opens memory, the background recorder and the engine the
// settings choose. Close drains the recorder before closing memory.
func (a *app) openAgent(ctx context.Context, seed uint64, noMemory bool) (*agentStack, error) {
	svc, closeMem, err := a.memoryService(ctx, func(c *memory.Config) { c.Context.MinScore = minExampleScore })
	if err != nil {
		return nil, err
	}
	rec, err := agent.NewRecorder(agent.RecorderConfig{Memory: svc,
		SpoolPath: filepath.Join(a.cfg.Data, "recorder.spool"), Logger: a.log})
	if err != nil {
		closeMem()
		return nil, err
	}
	st := &agentStack{memory: svc, recorder: rec}
	st.close = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := rec.Close(ctx); err != nil {
			a.log.Warn("recorder: what was not stored is kept in the spool for next time", "err", err)
		}
		closeMem()
	}
	model, err := a.model(ctx)
	if err == nil {
		st.agent, err = agent.New(ctx, agent.Config{Memory: svc, Recorder: rec, Model: model,
			Scores: a.scoreSink(), Seed: seed, NoMemory: noMemory})
	}
	if err != nil {
		st.close()
		return nil, err
	}
	return st, nil
}

// model returns the text model the settings choose, or nil for the offline
// policy.
func (a *app) model(ctx context.Context) (llm.Model, error) {
	e := a.cfg.Engine
	provider := e.Engine
	if provider == "auto" {
		switch {
		case apiKey("model-gemini", a.getenv) != "":
			provider = "gemini"
		case a.getenv("OPENAI_API_KEY") != "" || e.BaseURL != "":
			provider = "openai"
		default:
			provider = "offline"
		}
	}
	if provider == "offline" {
		return nil, nil
	}
	return llm.New(ctx, llm.Config{Provider: provider, Model: e.Model, BaseURL: e.BaseURL,
		APIKey: apiKey("model-"+provider, a.getenv)})
}

// scoreSink keeps the judge's scores as feedback on tool calls in the
// trace store. A call judged right after it ran may still be in the
// exporter's queue: the queue is flushed and the write tried once more.
func (a *app) scoreSink() agent.ScoreSink {
	if a.traces == nil {
		return nil
	}
	return func(ctx context.Context, callID string, scores map[string]float64) error {
		fb := tracestore.Feedback{Scores: scores}
		_, err := a.traces.AddFeedback(ctx, callID, fb)
		if steadyerr.ErrorCode(err) == steadyerr.NotFound && a.tracing != nil {
			err = a.tracing.ForceFlush(ctx)
			if err == nil {
				_, err = a.traces.AddFeedback(ctx, callID, fb)
			}
		}
		return err
	}
}
