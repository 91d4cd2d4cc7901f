package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/redisstore"
	"github.com/steady-voice/steady/memory/sqlitestore"
)

// backend describes where memory lives, for health and logs. It never
// holds a password.
type backend struct {
	Kind     string `json:"kind"`     // "sqlite" or "redis"
	Location string `json:"location"` // file path, or Redis address
}

// openStore opens the memory store the settings name: Redis with --redis,
// else the embedded SQLite file under --data.
func (a *app) openStore(ctx context.Context) (memory.Store, backend, error) {
	if a.cfg.RedisURL != "" {
		b := backend{Kind: "redis", Location: redactURL(a.cfg.RedisURL)}
		st, err := redisstore.Open(ctx, a.cfg.RedisURL, redisstore.Options{})
		if err != nil {
			return nil, b, fmt.Errorf("memory on %s: %w", b.Location, err)
		}
		return st, b, nil
	}
	if err := os.MkdirAll(a.cfg.Data, 0o700); err != nil {
		return nil, backend{}, fmt.Errorf("--data: %w", err)
	}
	path := filepath.Join(a.cfg.Data, "memory.db")
	b := backend{Kind: "sqlite", Location: path}
	st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		return nil, b, fmt.Errorf("memory in %s: %w", path, err)
	}
	return st, b, nil
}

// memoryService opens the store and the embedder and joins them. The caller
// must call close.
func (a *app) memoryService(ctx context.Context, opts ...func(*memory.Config)) (svc *memory.Service, close func(), err error) {
	st, b, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	e, err := a.embedder(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	m := a.cfg.Memory
	cfg := memory.Config{Store: st, Embedder: e,
		InterventionTTL: m.InterventionTTL, ReflectionTTL: m.ReflectionTTL, SessionTTL: m.SessionTTL,
		Ranking: memory.Ranking{RecencyWeight: m.RecencyWeight, ScoreWeight: m.ScoreWeight}}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err = memory.New(cfg)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	a.log.Debug("memory open", "backend", b.Kind, "location", b.Location, "embedder", e.Name())
	return svc, func() { st.Close() }, nil
}

// tracedEmbedder is the configured embedder with each call traced, for
// commands that embed outside the memory layer.
func (a *app) tracedEmbedder(ctx context.Context) (embed.Embedder, error) {
	e, err := a.embedder(ctx)
	if err != nil {
		return nil, err
	}
	return memory.TracedEmbedder(e), nil
}
