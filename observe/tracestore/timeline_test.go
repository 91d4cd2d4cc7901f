package tracestore_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/observe/tracestore"
)

func TestOpTimeline(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	tr := tracer(t, s)
	ctx := context.Background()
	const op = "tool.breathing"
	hour := time.Hour
	// Bucket 0: 1…100 ms; bucket 1: only another op; bucket 2: one failed
	// call of 7 ms; bucket 3: 10 and 20 ms. Calls just outside the window
	// must not count.
	for i := 1; i <= 100; i++ {
		span(ctx, tr, op, t0.Add(time.Duration(i)*time.Second), time.Duration(i)*time.Millisecond)
	}
	span(ctx, tr, "tool.grounding", t0.Add(hour+time.Minute), time.Second)
	_, failed := tr.Start(ctx, op, trace.WithTimestamp(t0.Add(2*hour+time.Minute)))
	failed.SetStatus(codes.Error, "failed")
	failed.End(trace.WithTimestamp(t0.Add(2*hour + time.Minute + 7*time.Millisecond)))
	span(ctx, tr, op, t0.Add(3*hour), 10*time.Millisecond)
	span(ctx, tr, op, t0.Add(4*hour-time.Nanosecond), 20*time.Millisecond)
	span(ctx, tr, op, t0.Add(-time.Nanosecond), time.Hour)
	span(ctx, tr, op, t0.Add(4*hour), time.Hour)

	got, err := s.OpTimeline(ctx, op, t0, t0.Add(4*hour), 4)
	if err != nil {
		t.Fatalf("OpTimeline: %v", err)
	}
	ms := time.Millisecond
	want := []tracestore.OpBucket{
		{Start: t0, Count: 100, P50: 50 * ms, P95: 95 * ms, P99: 99 * ms},
		{Start: t0.Add(hour)},
		{Start: t0.Add(2 * hour), Count: 1, Errors: 1, ErrorRate: 1, P50: 7 * ms, P95: 7 * ms, P99: 7 * ms},
		{Start: t0.Add(3 * hour), Count: 2, P50: 10 * ms, P95: 20 * ms, P99: 20 * ms},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d buckets, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].Start.Equal(want[i].Start) {
			t.Errorf("bucket %d starts at %s, want %s", i, got[i].Start, want[i].Start)
		}
		got[i].Start = want[i].Start
		if got[i] != want[i] {
			t.Errorf("bucket %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestOpTimelineDefaultBuckets(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	got, err := s.OpTimeline(context.Background(), "tool.breathing", t0, t0.Add(24*time.Hour), 0)
	if err != nil {
		t.Fatalf("OpTimeline: %v", err)
	}
	if len(got) != tracestore.DefaultBuckets {
		t.Fatalf("got %d buckets, want %d", len(got), tracestore.DefaultBuckets)
	}
	for i, b := range got {
		if b.Count != 0 || !b.Start.Equal(t0.Add(time.Duration(i)*time.Hour)) {
			t.Errorf("bucket %d of an empty store: %+v, want empty from %s", i, b, t0.Add(time.Duration(i)*time.Hour))
		}
	}
}

func TestOpTimelineInvalid(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	tests := []struct {
		name    string
		op      string
		until   time.Time
		buckets int
	}{
		{"no op", "", t0.Add(time.Hour), 4},
		{"one bucket", "x", t0.Add(time.Hour), 1},
		{"too many buckets", "x", t0.Add(time.Hour), tracestore.MaxBuckets + 1},
		{"negative buckets", "x", t0.Add(time.Hour), -1},
		{"empty window", "x", t0, 4},
		{"window backwards", "x", t0.Add(-time.Hour), 4},
		{"window shorter than the buckets", "x", t0.Add(3), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.OpTimeline(context.Background(), tt.op, t0, tt.until, tt.buckets)
			if got := steady.ErrorCode(err); got != steady.Invalid {
				t.Errorf("got code %q (%v), want %q", got, err, steady.Invalid)
			}
		})
	}
}
