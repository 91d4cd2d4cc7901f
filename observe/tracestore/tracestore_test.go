package tracestore_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/observe/tracestore"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func TestExportStoresEveryField(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	tr := tracer(t, s)
	ctx, root := span(context.Background(), tr, "agent.turn", t0, 30*time.Millisecond,
		trace.WithAttributes(attribute.String(observe.AttrSpanKind, "AGENT")))
	_, child := tr.Start(ctx, "tool.breathing", trace.WithTimestamp(t0.Add(time.Millisecond)),
		trace.WithAttributes(
			attribute.String(observe.AttrSpanKind, "TOOL"),
			attribute.String(observe.AttrInputValue, `{"minutes":2}`),
			attribute.String(observe.AttrOutputValue, `{"ok":false}`),
			attribute.String(observe.AttrUserID, "u1"),
			attribute.String(observe.AttrSessionID, "s1"),
			attribute.Int(observe.AttrGenAIInputTokens, 42),
			attribute.Bool("steady.offline", true),
			attribute.Float64("steady.score", 0.75),
			attribute.StringSlice("steady.tags", []string{"calm", "short"}),
			attribute.Int64Slice("steady.ints", []int64{1, 2}),
		))
	child.RecordError(errors.New("microphone busy"))
	child.SetStatus(codes.Error, "")
	child.End(trace.WithTimestamp(t0.Add(11 * time.Millisecond)))

	got, err := s.Call(context.Background(), child.SpanContext().SpanID().String())
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	want := tracestore.Call{
		TraceID: root.SpanContext().TraceID().String(), CallID: child.SpanContext().SpanID().String(),
		ParentID: root.SpanContext().SpanID().String(), Op: "tool.breathing", Kind: "TOOL",
		Latency: 10 * time.Millisecond, Status: "error", Error: "microphone busy",
		Inputs: `{"minutes":2}`, Output: `{"ok":false}`, UserID: "u1", SessionID: "s1",
	}
	checkCall(t, got, want)
	if !got.Start.Equal(t0.Add(time.Millisecond)) {
		t.Errorf("Start = %v, want %v", got.Start, t0.Add(time.Millisecond))
	}
	wantAttrs := map[string]string{
		observe.AttrGenAIInputTokens: "42", "steady.offline": "true", "steady.score": "0.75",
		"steady.tags": "[calm short]", "steady.ints": "[1 2]", observe.AttrUserID: "u1",
	}
	for k, v := range wantAttrs {
		if g := fmt.Sprint(got.Attributes[k]); g != v {
			t.Errorf("Attributes[%q] = %s, want %s", k, g, v)
		}
	}
	for _, k := range []string{observe.AttrInputValue, observe.AttrOutputValue, observe.AttrSpanKind} {
		if _, ok := got.Attributes[k]; ok {
			t.Errorf("Attributes has %q, want it in its own field only", k)
		}
	}
}

func checkCall(t *testing.T, got, want tracestore.Call) {
	t.Helper()
	pairs := [][3]string{
		{"TraceID", got.TraceID, want.TraceID}, {"CallID", got.CallID, want.CallID},
		{"ParentID", got.ParentID, want.ParentID}, {"Op", got.Op, want.Op}, {"Kind", got.Kind, want.Kind},
		{"Status", got.Status, want.Status}, {"Error", got.Error, want.Error},
		{"Inputs", got.Inputs, want.Inputs}, {"Output", got.Output, want.Output},
		{"UserID", got.UserID, want.UserID}, {"SessionID", got.SessionID, want.SessionID},
	}
	for _, p := range pairs {
		if p[1] != p[2] {
			t.Errorf("%s = %q, want %q", p[0], p[1], p[2])
		}
	}
	if got.Latency != want.Latency {
		t.Errorf("Latency = %v, want %v", got.Latency, want.Latency)
	}
}

// seedCalls stores, one second apart from t0, calls of two ops by two users,
// every third one failed; it returns their trace id.
func seedCalls(t *testing.T, s *tracestore.Store, n int) string {
	t.Helper()
	tr := tracer(t, s)
	ctx, root := span(context.Background(), tr, "root", t0.Add(-time.Hour), time.Millisecond)
	for i := range n {
		op, user := "tool.grounding", "u1"
		if i%2 == 1 {
			op, user = "tool.breathing", "u2"
		}
		_, sp := tr.Start(ctx, op, trace.WithTimestamp(t0.Add(time.Duration(i)*time.Second)),
			trace.WithAttributes(attribute.String(observe.AttrUserID, user), attribute.Int("i", i)))
		if i%3 == 0 {
			sp.SetStatus(codes.Error, "failed")
		}
		sp.End(trace.WithTimestamp(t0.Add(time.Duration(i)*time.Second + time.Millisecond)))
	}
	return root.SpanContext().TraceID().String()
}

func TestCallsFilters(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	traceID := seedCalls(t, s, 12)
	tests := []struct {
		name   string
		filter tracestore.Filter
		want   int   // calls returned
		first  int64 // i of the newest, -1 for the root
	}{
		{"all", tracestore.Filter{}, 13, 11},
		{"op", tracestore.Filter{Op: "tool.breathing"}, 6, 11},
		{"status error", tracestore.Filter{Status: "error"}, 4, 9},
		{"status ok", tracestore.Filter{Status: "ok", Op: "tool.grounding"}, 4, 10},
		{"attr user", tracestore.Filter{Attrs: map[string]string{observe.AttrUserID: "u1"}}, 6, 10},
		{"attr int", tracestore.Filter{Attrs: map[string]string{"i": "7"}}, 1, 7},
		{"two attrs", tracestore.Filter{Attrs: map[string]string{"i": "7", observe.AttrUserID: "u1"}}, 0, 0},
		{"since until", tracestore.Filter{Since: t0.Add(3 * time.Second), Until: t0.Add(6 * time.Second)}, 3, 5},
		{"trace", tracestore.Filter{TraceID: traceID}, 13, 11},
		{"other trace", tracestore.Filter{TraceID: strings.Repeat("ab", 16)}, 0, 0},
		{"limit", tracestore.Filter{Limit: 2}, 2, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := mustCalls(t, s, tt.filter)
			if len(calls) != tt.want {
				t.Fatalf("got %d calls %v, want %d", len(calls), ops(calls), tt.want)
			}
			if len(calls) > 0 && fmt.Sprint(calls[0].Attributes["i"]) != fmt.Sprint(tt.first) {
				t.Errorf("newest has i = %v, want %d", calls[0].Attributes["i"], tt.first)
			}
			for j := 1; j < len(calls); j++ {
				if calls[j].Start.After(calls[j-1].Start) {
					t.Errorf("call %d starts after call %d: want newest first", j, j-1)
				}
			}
		})
	}
}

func TestCallsPagesWithCursor(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	seedCalls(t, s, 24)
	tests := []struct {
		name   string
		filter tracestore.Filter
	}{
		{"all", tracestore.Filter{}},
		{"attr", tracestore.Filter{Attrs: map[string]string{observe.AttrUserID: "u1"}}},
		{"op and time", tracestore.Filter{Op: "tool.breathing", Since: t0.Add(3 * time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := callIDs(mustCalls(t, s, tt.filter))
			var got []string
			f := tt.filter
			f.Limit = 5
			for range 10 {
				page := mustCalls(t, s, f)
				got = append(got, callIDs(page)...)
				if len(page) < f.Limit {
					break
				}
				f.Cursor = page[len(page)-1].Cursor
			}
			if len(want) < 6 || !slices.Equal(got, want) {
				t.Errorf("pages gave %v, want %v (more than one page)", got, want)
			}
		})
	}
}

func callIDs(calls []tracestore.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.CallID
	}
	return out
}

func TestCallsRejectsInvalidFilter(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	for _, f := range []tracestore.Filter{{Status: "failed"}, {Limit: -1}, {Cursor: "nope"}} {
		if _, err := s.Calls(context.Background(), f); !steady.Is(err, steady.Invalid) {
			t.Errorf("Calls(%+v) = %v, want Invalid", f, err)
		}
	}
}

func TestTraceOrdersTree(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	tr := tracer(t, s)
	// root ─┬─ a ── a1
	//       └─ b ─┬─ b1
	//             └─ b2
	// Children are ended before parents, and b2 before b1, so the store
	// receives them out of order.
	ctx, root := tr.Start(context.Background(), "root", trace.WithTimestamp(t0))
	bctx, b := tr.Start(ctx, "b", trace.WithTimestamp(t0.Add(20*time.Millisecond)))
	span(bctx, tr, "b2", t0.Add(40*time.Millisecond), time.Millisecond)
	span(bctx, tr, "b1", t0.Add(30*time.Millisecond), time.Millisecond)
	b.End(trace.WithTimestamp(t0.Add(50 * time.Millisecond)))
	actx, a := tr.Start(ctx, "a", trace.WithTimestamp(t0.Add(10*time.Millisecond)))
	span(actx, tr, "a1", t0.Add(11*time.Millisecond), time.Millisecond)
	a.End(trace.WithTimestamp(t0.Add(15 * time.Millisecond)))
	root.End(trace.WithTimestamp(t0.Add(60 * time.Millisecond)))

	calls, err := s.Trace(context.Background(), root.SpanContext().TraceID().String())
	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	if got, want := ops(calls), []string{"root", "a", "a1", "b", "b1", "b2"}; !slices.Equal(got, want) {
		t.Errorf("Trace order = %v, want %v", got, want)
	}
}

func TestNotFound(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	ctx := context.Background()
	if _, err := s.Trace(ctx, strings.Repeat("0a", 16)); !steady.Is(err, steady.NotFound) {
		t.Errorf("Trace(unknown) = %v, want NotFound", err)
	}
	if _, err := s.Call(ctx, "0123456789abcdef"); !steady.Is(err, steady.NotFound) {
		t.Errorf("Call(unknown) = %v, want NotFound", err)
	}
	if _, err := s.AddFeedback(ctx, "0123456789abcdef", tracestore.Feedback{Reaction: "👍"}); !steady.Is(err, steady.NotFound) {
		t.Errorf("AddFeedback(unknown call) = %v, want NotFound", err)
	}
}

func TestOpStatsPercentiles(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	tr := tracer(t, s)
	// op "slow": latencies 1..100 ms in shuffled order, 10 failed; op
	// "fast": one call of 5 ms; one call of "old" before the window.
	for i := range 100 {
		ms := (i*37)%100 + 1
		_, sp := tr.Start(context.Background(), "slow", trace.WithTimestamp(t0.Add(time.Duration(i)*time.Second)))
		if ms%10 == 0 {
			sp.SetStatus(codes.Error, "boom")
		}
		sp.End(trace.WithTimestamp(t0.Add(time.Duration(i)*time.Second + time.Duration(ms)*time.Millisecond)))
	}
	span(context.Background(), tr, "fast", t0, 5*time.Millisecond)
	span(context.Background(), tr, "old", t0.Add(-time.Hour), time.Second)

	got, err := s.OpStats(context.Background(), t0)
	if err != nil {
		t.Fatalf("OpStats: %v", err)
	}
	ms := time.Millisecond
	want := []tracestore.OpStat{
		{Op: "fast", Count: 1, P50: 5 * ms, P95: 5 * ms, P99: 5 * ms},
		{Op: "slow", Count: 100, Errors: 10, ErrorRate: 0.1, P50: 50 * ms, P95: 95 * ms, P99: 99 * ms},
	}
	if !slices.Equal(got, want) {
		t.Errorf("OpStats =\n%+v\nwant\n%+v", got, want)
	}
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		values []int64
		p      int
		want   time.Duration
	}{
		{nil, 50, 0},
		{[]int64{7}, 99, 7},
		{[]int64{1, 2}, 50, 1},
		{[]int64{1, 2}, 51, 2},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 95, 10},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
	}
	for _, tt := range tests {
		if got := tracestore.Percentile(tt.values, tt.p); got != tt.want {
			t.Errorf("Percentile(%v, %d) = %v, want %v", tt.values, tt.p, got, tt.want)
		}
	}
}

func TestCorruptFileIsReportedByName(t *testing.T) {
	tests := []struct {
		name   string
		offset int64 // where the junk starts
	}{
		{"whole file", 0},
		{"after the magic string", 16},
		{"after the header", 100},
		{"after the first page", 4096},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "traces.db")
			s, err := tracestore.Open(context.Background(), path, tracestore.Options{PurgeInterval: -1})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			seedCalls(t, s, 50)
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			overwrite(t, path, tt.offset)
			_, err = tracestore.Open(context.Background(), path, tracestore.Options{PurgeInterval: -1})
			if err == nil {
				t.Fatal("Open(corrupt file) succeeded, want an error")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("Open(corrupt file) = %q, want it to name %s", err, path)
			}
		})
	}
}

// overwrite writes junk over the file at path from offset to its end.
func overwrite(t *testing.T, path string, offset int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, fi.Size()-offset)
	for i := range junk {
		junk[i] = byte(i*7919 + 13)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(junk, offset); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidUTF8AndHugeValues(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	tr := tracer(t, s)
	huge := strings.Repeat("é", 1<<20) // 2 MiB
	_, sp := span(context.Background(), tr, "op\xff", t0, time.Millisecond, trace.WithAttributes(
		attribute.String("bad", "a\xffb"),
		attribute.String("huge", huge),
		attribute.String(observe.AttrInputValue, huge),
		attribute.Float64("nan", math.NaN()),
	))
	got, err := s.Call(context.Background(), sp.SpanContext().SpanID().String())
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	bad, _ := got.Attributes["bad"].(string)
	hugeAttr, _ := got.Attributes["huge"].(string)
	checks := []struct {
		name string
		ok   bool
	}{
		{"op is valid UTF-8", utf8.ValidString(got.Op)},
		{"bad attribute is valid UTF-8", utf8.ValidString(bad) && strings.HasPrefix(bad, "a")},
		{"huge attribute is cut to valid UTF-8", utf8.ValidString(hugeAttr) && len(hugeAttr) < 64<<10 && len(hugeAttr) > 0},
		{"huge input is cut to valid UTF-8", utf8.ValidString(got.Inputs) && len(got.Inputs) <= 64<<10 && len(got.Inputs) > 0},
		{"truncation is marked", got.Attributes[observe.AttrTruncated] == true},
		{"NaN, which JSON lacks, is kept as text", got.Attributes["nan"] == "NaN"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: got false, want true", c.name)
		}
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Calls(context.Background(), tracestore.Filter{}); !steady.Is(err, steady.Unavailable) {
		t.Errorf("Calls after Close = %v, want Unavailable", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestExportAfterCloseFailsWithoutPanic(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	spans := typicalSpans(0, 3)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.ExportSpans(context.Background(), spans); !steady.Is(err, steady.Unavailable) {
		t.Errorf("ExportSpans after Close = %v, want Unavailable", err)
	}
}

func TestShutdownEndsExportsButNotQueries(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(s))
	span(context.Background(), tp.Tracer("t"), "before", t0, time.Millisecond)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatalf("TracerProvider.Shutdown: %v", err)
	}
	if err := s.ExportSpans(context.Background(), typicalSpans(0, 1)); !steady.Is(err, steady.Unavailable) {
		t.Errorf("ExportSpans after Shutdown = %v, want Unavailable", err)
	}
	if got := mustCalls(t, s, tracestore.Filter{}); len(got) != 1 {
		t.Errorf("got %d calls after Shutdown, want 1", len(got))
	}
}

func TestExportTwiceStoresOnce(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	spans := typicalSpans(0, 4)
	for range 2 {
		if err := s.ExportSpans(context.Background(), spans); err != nil {
			t.Fatalf("ExportSpans: %v", err)
		}
	}
	if got := mustCalls(t, s, tracestore.Filter{}); len(got) != 4 {
		t.Errorf("got %d calls, want 4", len(got))
	}
	got := mustCalls(t, s, tracestore.Filter{Attrs: map[string]string{observe.AttrUserID: "u1"}})
	if len(got) != 1 {
		t.Errorf("got %d calls of u1, want 1", len(got))
	}
}
