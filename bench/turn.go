package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/agent/data"
	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/memory"
)

// TurnConfig is the offline-turn section on one backend.
type TurnConfig struct {
	Backend  Backend
	Embedder embed.Embedder
	Dir      string // where the recorder's spool is made
	Plan     Plan   // History, Turns
	Logger   *slog.Logger
	Progress Progress
}

// TurnResult is one backend's offline turn: embed, dynamic context,
// situation, policy over the user's memory, the tool on the session
// state, and the intervention handed to the background recorder.
type TurnResult struct {
	Backend string  `json:"backend"`
	History int     `json:"history"` // scored interventions before the first turn, one more each turn
	Turn    Latency `json:"turn"`
}

// Turn times the offline turns of one user with a scored history, as
// agent's BenchmarkOfflineTurn ("paced"): the previous turn's background
// writes land before the next turn starts, as when a person answers, and
// a fresh session every ten turns keeps the session state small.
func Turn(ctx context.Context, cfg TurnConfig) (res TurnResult, err error) {
	res = TurnResult{Backend: cfg.Backend.Name, History: cfg.Plan.History}
	svc, err := memory.New(memory.Config{Store: cfg.Backend.Store, Embedder: cfg.Embedder, Context: memory.ContextOptions{MinScore: 0.7}})
	if err != nil {
		return res, err
	}
	user := newUser("turn")
	defer forget(ctx, svc, user, &err)
	if err := seedHistory(ctx, svc, user, cfg.Plan.History); err != nil {
		return res, err
	}
	dir, err := os.MkdirTemp(cfg.Dir, "turn-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	rec, err := agent.NewRecorder(agent.RecorderConfig{Memory: svc, SpoolPath: filepath.Join(dir, "spool"), Logger: cfg.Logger})
	if err != nil {
		return res, err
	}
	// Closed before the deferred forget runs: nothing may land after it.
	d, err := turns(ctx, cfg, svc, rec, user)
	if cerr := rec.Close(context.WithoutCancel(ctx)); err == nil {
		err = cerr
	}
	res.Turn = latencyOf(d)
	return res, err
}

func turns(ctx context.Context, cfg TurnConfig, svc *memory.Service, rec *agent.Recorder, user string) ([]time.Duration, error) {
	a, err := agent.New(ctx, agent.Config{Memory: svc, Recorder: rec, Seed: 1})
	if err != nil {
		return nil, err
	}
	texts := situationTexts()
	m := newMeter(cfg.Progress, "offline turn on "+cfg.Backend.Name, cfg.Plan.Turns)
	out := make([]time.Duration, 0, cfg.Plan.Turns)
	var s *agent.Session
	for i := range cfg.Plan.Turns {
		if i%10 == 0 {
			if s, _, err = a.Start(ctx, user, fmt.Sprintf("s%d", i)); err != nil {
				return out, err
			}
		}
		if err := rec.Flush(ctx); err != nil {
			return out, err
		}
		start := time.Now()
		if _, err := a.Turn(ctx, s, texts[i%len(texts)]); err != nil {
			return out, err
		}
		out = append(out, time.Since(start))
		m.tick()
	}
	return out, nil
}

// seedHistory gives the user n scored interventions across the situations,
// two in three of them successful, as agent's benchmark does.
func seedHistory(ctx context.Context, svc *memory.Service, user string, n int) error {
	ex := data.Situations()
	tools := agent.Tools()
	for i := range n {
		e, t := ex[i%len(ex)], tools[i%len(tools)]
		outcome, score := memory.ReEngaged, 0.7
		if i%3 == 0 {
			outcome, score = memory.InterventionApplied, 0.3
		}
		_, err := svc.Record(ctx, memory.Intervention{UserID: user, SessionID: "history",
			Tool: t.Name, Category: t.Category, Context: fmt.Sprintf("%s (%d)", e.Text, i), Text: "Used " + t.Name,
			Outcome: outcome, Scores: map[string]float64{agent.ScoreName: score}})
		if err != nil {
			return fmt.Errorf("seeding the history: %w", err)
		}
	}
	return nil
}
