package tracestore_test

import (
	"context"
	"github.com/steady-voice/steady/internal/steadytest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/observe/tracestore"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

func TestRetentionPurgesOldCallsAndTheirFeedback(t *testing.T) {
	clk := steadytest.NewClock(t0)
	s, _ := openStore(t, tracestore.Options{Now: clk.Now, Retention: 24 * time.Hour})
	tr := tracer(t, s)
	_, old := span(context.Background(), tr, "old", t0.Add(-2*time.Hour), time.Millisecond)
	_, young := span(context.Background(), tr, "young", t0, time.Millisecond)
	oldID := old.SpanContext().SpanID().String()
	if _, err := s.AddFeedback(context.Background(), oldID, tracestore.Feedback{Reaction: "👍"}); err != nil {
		t.Fatalf("AddFeedback: %v", err)
	}

	clk.Set(t0.Add(23 * time.Hour)) // old is 25 h old, young 23 h
	n, err := s.Purge(context.Background())
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if n != 1 {
		t.Errorf("Purge deleted %d calls, want 1", n)
	}
	if _, err := s.Call(context.Background(), oldID); !steady.Is(err, steady.NotFound) {
		t.Errorf("Call(old) = %v, want NotFound", err)
	}
	if _, err := s.Call(context.Background(), young.SpanContext().SpanID().String()); err != nil {
		t.Errorf("Call(young) = %v, want it kept", err)
	}
	if got := mustCalls(t, s, tracestore.Filter{}); len(got) != 1 {
		t.Errorf("got %d calls after purge, want 1", len(got))
	}
}

func TestSizeCapPurgesOldestCalls(t *testing.T) {
	const maxBytes = 1 << 20
	s, path := openStore(t, tracestore.Options{Now: func() time.Time { return t0 }, MaxBytes: maxBytes})
	tr := tracer(t, s)
	payload := strings.Repeat("x", 16<<10)
	const n = 200 // about 3.2 MiB of inputs
	var lastID string
	for i := range n {
		_, sp := span(context.Background(), tr, "big", t0.Add(time.Duration(i)*time.Second), time.Millisecond,
			trace.WithAttributes(attribute.String(observe.AttrInputValue, payload)))
		lastID = sp.SpanContext().SpanID().String()
	}
	deleted, err := s.Purge(context.Background())
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if deleted == 0 || deleted == n {
		t.Errorf("Purge deleted %d of %d calls, want some but not all", deleted, n)
	}
	if _, err := s.Call(context.Background(), lastID); err != nil {
		t.Errorf("Call(newest) = %v, want it kept", err)
	}
	kept := mustCalls(t, s, tracestore.Filter{Limit: 1000})
	if len(kept) != n-deleted {
		t.Errorf("got %d calls, want %d", len(kept), n-deleted)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > maxBytes {
		t.Errorf("file is %d bytes after purge, want at most %d", fi.Size(), maxBytes)
	}
}

func TestBackgroundPurgeRuns(t *testing.T) {
	clk := steadytest.NewClock(t0.Add(48 * time.Hour))
	s, _ := openStore(t, tracestore.Options{Now: clk.Now, Retention: time.Hour, PurgeInterval: time.Millisecond})
	tr := tracer(t, s)
	span(context.Background(), tr, "old", t0, time.Millisecond)
	// Waits for the purge goroutine by polling, without asserting on time.
	for range 10000 {
		if len(mustCalls(t, s, tracestore.Filter{})) == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Error("the background purge never deleted the expired call")
}

func TestConcurrentExports(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	tr := tracer(t, s)
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				ctx, _ := span(context.Background(), tr, "parent", t0.Add(time.Duration(i)*time.Millisecond), time.Millisecond,
					trace.WithAttributes(attribute.Int("worker", w)))
				span(ctx, tr, "child", t0.Add(time.Duration(i)*time.Millisecond), time.Microsecond)
				if _, err := s.Calls(context.Background(), tracestore.Filter{Op: "parent", Limit: 5}); err != nil {
					t.Errorf("Calls: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	stats, err := s.OpStats(context.Background(), time.Time{})
	if err != nil {
		t.Fatalf("OpStats: %v", err)
	}
	for _, st := range stats {
		if st.Count != workers*each {
			t.Errorf("op %s has %d calls, want %d", st.Op, st.Count, workers*each)
		}
	}
	if len(stats) != 2 {
		t.Errorf("got %d ops, want 2", len(stats))
	}
}

// TestFullDiskReturnsError needs a small file system, which only root can
// mount, so it runs only when STEADY_TEST_FULL_DIR names one, e.g.
//
//	mount -t tmpfs -o size=512k tmpfs /tmp/tinyfs
//	STEADY_TEST_FULL_DIR=/tmp/tinyfs go test -run FullDisk ./observe/tracestore/
func TestFullDiskReturnsError(t *testing.T) {
	dir := os.Getenv("STEADY_TEST_FULL_DIR")
	if dir == "" {
		t.Skip("STEADY_TEST_FULL_DIR is not set")
	}
	path := filepath.Join(dir, "traces.db")
	t.Cleanup(func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + suffix)
		}
	})
	s, err := tracestore.Open(context.Background(), path, tracestore.Options{PurgeInterval: -1})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	for first := 0; first < 100_000; first += 512 {
		if err = s.ExportSpans(context.Background(), typicalSpans(first, 512)); err != nil {
			break
		}
	}
	if !steady.Is(err, steady.Unavailable) {
		t.Fatalf("ExportSpans on a full disk = %v, want Unavailable", err)
	}
	t.Logf("ExportSpans on a full disk: %v", err)
	if _, err := s.Calls(context.Background(), tracestore.Filter{Limit: 1}); err != nil {
		t.Errorf("Calls after a full disk = %v, want the stored calls still readable", err)
	}
}
