package sqlitedb

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestGateRunsUntilClosedAndCloseWaits(t *testing.T) {
	var g Gate
	closed := errors.New("closed")
	if err := g.Run(context.Background(), closed, func() error { return nil }); err != nil {
		t.Fatalf("open gate: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := g.Run(ctx, closed, func() error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("done context: %v (ran %v), want context.Canceled without running", err, ran)
	}

	inside, release := make(chan struct{}), make(chan struct{})
	go g.Run(context.Background(), closed, func() error { close(inside); <-release; return nil })
	<-inside
	closedAt := make(chan time.Time)
	go func() { g.Close(); closedAt <- time.Now() }()
	time.Sleep(20 * time.Millisecond)
	released := time.Now()
	close(release)
	if at := <-closedAt; at.Before(released) {
		t.Error("Close returned while a call was running")
	}
	if err := g.Run(context.Background(), closed, func() error { return nil }); err != closed {
		t.Errorf("closed gate: %v, want %v", err, closed)
	}
}
