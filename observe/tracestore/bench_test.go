package tracestore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/observe/tracestore"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const (
	batchSize = 512     // the BatchSpanProcessor's default batch
	bigStore  = 100_000 // calls in the store the query benchmarks read
	users     = 1000
	tools     = 13
)

// typicalSpans makes n spans like the agent's tool calls: an OpenInference
// kind, a user and session, a tool name, token counts, JSON inputs and
// outputs of a few hundred bytes, one in twenty failed; first is the index
// of the first, which sets its ids and start time.
func typicalSpans(first, n int) []sdktrace.ReadOnlySpan {
	stubs := make(tracetest.SpanStubs, n)
	for i := range n {
		k := first + i
		start := t0.Add(time.Duration(k) * 5 * time.Second)
		stubs[i] = tracetest.SpanStub{
			Name:        fmt.Sprintf("tool.t%02d", k%tools),
			SpanContext: spanContext(k),
			StartTime:   start,
			EndTime:     start.Add(time.Duration(k%997+1) * time.Millisecond),
			Attributes:  typicalAttrs(k),
		}
		if k%20 == 0 {
			stubs[i].Status = sdktrace.Status{Code: codes.Error, Description: "tool failed"}
		}
	}
	return stubs.Snapshots()
}

func spanContext(k int) trace.SpanContext {
	var tid trace.TraceID
	var sid trace.SpanID
	copy(tid[:], fmt.Sprintf("%016d", k/4)) // four calls a trace
	copy(sid[:], fmt.Sprintf("%08d", k))
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
}

func typicalAttrs(k int) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String(observe.AttrSpanKind, "TOOL"),
		attribute.String(observe.AttrGenAIOperation, "execute_tool"),
		attribute.String(observe.AttrGenAIToolName, fmt.Sprintf("t%02d", k%tools)),
		attribute.String(observe.AttrUserID, fmt.Sprintf("u%d", k%users)),
		attribute.String(observe.AttrSessionID, fmt.Sprintf("s%d", k/50)),
		attribute.Int(observe.AttrGenAIInputTokens, 120+k%50),
		attribute.Int(observe.AttrGenAIOutputTokens, 40+k%30),
		attribute.String(observe.AttrInputValue, fmt.Sprintf(
			`{"task":"write the report introduction","energy":"low","minutes":%d,"context":"user said they feel stuck and overwhelmed by the size of it"}`, k%30)),
		attribute.String(observe.AttrOutputValue, fmt.Sprintf(
			`{"steps":["open the document","write one sentence about the goal","set a %d minute timer"],"tone":"gentle","followup":"check in after the timer"}`, k%30)),
	}
}

func BenchmarkExportSpans(b *testing.B) {
	s, _ := openStore(b, tracestore.Options{Now: func() time.Time { return t0 }})
	ctx := context.Background()
	first := 0
	for b.Loop() {
		b.StopTimer()
		spans := typicalSpans(first, batchSize)
		first += batchSize
		b.StartTimer()
		if err := s.ExportSpans(ctx, spans); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "spans/s")
}

// shared is one store of bigStore calls, filled once per test binary: the
// query benchmarks only read it.
var shared struct {
	once  sync.Once
	dir   string
	store *tracestore.Store
	err   error
}

func bigStoreForBench(b *testing.B) *tracestore.Store {
	b.Helper()
	shared.once.Do(func() {
		if shared.dir, shared.err = os.MkdirTemp("", "tracestore-bench"); shared.err != nil {
			return
		}
		shared.store, shared.err = fill(filepath.Join(shared.dir, "traces.db"))
	})
	if shared.err != nil {
		b.Fatal(shared.err)
	}
	return shared.store
}

func fill(path string) (*tracestore.Store, error) {
	s, err := tracestore.Open(context.Background(), path,
		tracestore.Options{Now: func() time.Time { return t0 }, PurgeInterval: -1})
	if err != nil {
		return nil, err
	}
	for first := 0; first < bigStore; first += batchSize {
		if err := s.ExportSpans(context.Background(), typicalSpans(first, min(batchSize, bigStore-first))); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.store != nil {
		_ = shared.store.Close()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

func BenchmarkCallsAttrFilter(b *testing.B) {
	s := bigStoreForBench(b)
	tests := []struct {
		name  string
		attrs map[string]string
	}{
		{"user=100_of_100k", map[string]string{observe.AttrUserID: "u42"}},
		{"tool=7.7k_of_100k", map[string]string{observe.AttrGenAIToolName: "t07"}},
		{"tool+user=8_of_100k", map[string]string{observe.AttrGenAIToolName: "t07", observe.AttrUserID: "u42"}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				calls, err := s.Calls(context.Background(), tracestore.Filter{Attrs: tt.attrs})
				if err != nil || len(calls) == 0 {
					b.Fatalf("Calls = %d calls, %v", len(calls), err)
				}
			}
		})
	}
}

func BenchmarkOpStats(b *testing.B) {
	s := bigStoreForBench(b)
	for b.Loop() {
		stats, err := s.OpStats(context.Background(), time.Time{})
		if err != nil || len(stats) != tools {
			b.Fatalf("OpStats = %d ops, %v", len(stats), err)
		}
	}
}

// BenchmarkAttrFilterJSONExtract runs, on the same file, the query
// call_attrs replaces: json_extract over every call's attributes. It is
// here to keep that choice measured.
func BenchmarkAttrFilterJSONExtract(b *testing.B) {
	bigStoreForBench(b)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(shared.dir, "traces.db")+"?_query_only=1")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const q = `SELECT call_id FROM calls WHERE json_extract(attributes, '$."user.id"') = ?
		ORDER BY start_ns DESC LIMIT 100`
	for b.Loop() {
		rows, err := db.QueryContext(context.Background(), q, "u42")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Close(); err != nil || n != 100 {
			b.Fatalf("got %d calls, %v; want 100", n, err)
		}
	}
}
