package sqlitedb

import (
	"context"
	"sync"
)

// Gate lets a store's calls through until the store closes, and makes
// closing wait for the calls already running, so that Close never pulls a
// connection from under one and later calls fail cleanly. The zero value
// is open.
type Gate struct {
	mu     sync.RWMutex
	closed bool
}

// Run runs f unless the gate is closed (closed is returned) or ctx is done
// (its error), keeping the gate open until f returns.
func (g *Gate) Run(ctx context.Context, closed error, f func() error) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	switch {
	case g.closed:
		return closed
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return f()
}

// Close closes the gate once the calls running have returned.
func (g *Gate) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}
