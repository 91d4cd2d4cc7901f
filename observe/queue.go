package observe

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// queue is a SpanProcessor that never blocks the caller: an ended span is
// appended to a bounded buffer under a mutex, and one goroutine exports the
// buffer in batches, woken only when a batch is full, by a ticker, a flush or
// shutdown. When the buffer is full (a slow or stuck exporter) the span is
// dropped and counted. The SDK's batch processor also drops, but does not
// say how many, and wakes its goroutine on every span.
type queue struct {
	exp      sdktrace.SpanExporter
	size     int
	batch    int
	interval time.Duration
	timeout  time.Duration

	mu      sync.Mutex
	pending []sdktrace.ReadOnlySpan
	spare   []sdktrace.ReadOnlySpan // owned by run between swaps

	kick    chan struct{} // one pending wake-up is enough
	flush   chan chan struct{}
	quit    chan struct{}
	done    chan struct{}
	dropped atomic.Uint64
	closed  atomic.Bool
	stop    sync.Once
}

var _ sdktrace.SpanProcessor = (*queue)(nil)

func newQueue(exp sdktrace.SpanExporter, size, batch int, interval, timeout time.Duration) *queue {
	q := &queue{
		exp: exp, size: size, batch: min(batch, size), interval: interval, timeout: timeout,
		pending: make([]sdktrace.ReadOnlySpan, 0, size), spare: make([]sdktrace.ReadOnlySpan, 0, size),
		kick: make(chan struct{}, 1), flush: make(chan chan struct{}),
		quit: make(chan struct{}), done: make(chan struct{}),
	}
	go q.run()
	return q
}

func (q *queue) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

func (q *queue) OnEnd(s sdktrace.ReadOnlySpan) {
	if q.closed.Load() || !s.SpanContext().IsSampled() {
		return
	}
	q.mu.Lock()
	if len(q.pending) >= q.size {
		q.mu.Unlock()
		q.dropped.Add(1)
		return
	}
	q.pending = append(q.pending, s)
	full := len(q.pending) >= q.batch
	q.mu.Unlock()
	if full {
		select {
		case q.kick <- struct{}{}:
		default:
		}
	}
}

func (q *queue) run() {
	defer close(q.done)
	ticker := time.NewTicker(q.interval)
	defer ticker.Stop()
	for {
		select {
		case <-q.kick:
			q.exportPending()
		case <-ticker.C:
			q.exportPending()
		case req := <-q.flush:
			q.exportPending()
			close(req)
		case <-q.quit:
			q.exportPending()
			return
		}
	}
}

// exportPending swaps the buffers, so callers append to an empty one while
// the taken spans are exported.
func (q *queue) exportPending() {
	q.mu.Lock()
	taken := q.pending
	q.pending = q.spare
	q.mu.Unlock()
	for start := 0; start < len(taken); start += q.batch {
		q.export(taken[start:min(start+q.batch, len(taken))])
	}
	clear(taken) // let the spans be collected
	q.spare = taken[:0]
}

func (q *queue) export(batch []sdktrace.ReadOnlySpan) {
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
	defer cancel()
	if err := q.exp.ExportSpans(ctx, batch); err != nil {
		// The spans are lost either way; count them so the loss is visible.
		q.dropped.Add(uint64(len(batch)))
	}
}

// ForceFlush exports what is queued, waiting until ctx is done at most.
func (q *queue) ForceFlush(ctx context.Context) error {
	if q.closed.Load() {
		return nil
	}
	req := make(chan struct{})
	select {
	case q.flush <- req:
	case <-q.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("observe: flush: %w", ctx.Err())
	}
	select {
	case <-req:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("observe: flush: %w", ctx.Err())
	}
}

// Shutdown exports what is queued and shuts the exporter down, waiting until
// ctx is done at most. An exporter still stuck then is abandoned.
func (q *queue) Shutdown(ctx context.Context) error {
	q.closed.Store(true)
	q.stop.Do(func() { close(q.quit) })
	select {
	case <-q.done:
	case <-ctx.Done():
		return fmt.Errorf("observe: shutdown: %w", ctx.Err())
	}
	if err := q.exp.Shutdown(ctx); err != nil {
		return fmt.Errorf("observe: shutdown exporter: %w", err)
	}
	return nil
}
