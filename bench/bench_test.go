package bench_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steady-voice/steady/bench"
	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/internal/redistest"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/redisstore"
	"github.com/steady-voice/steady/memory/sqlitestore"
)

// The bench's figures are not checked against any time — the machine running
// the tests decides those — only that each section measured something and
// that its results are well-formed.

func TestRunOnEachStore(t *testing.T) {
	for _, name := range []string{"sqlite", "redis"} {
		t.Run(name, func(t *testing.T) {
			st := openStore(t, name)
			svc := service(t, st)
			other := recordOther(t, svc)
			var steps []string
			progress := func(step string, done, total int) {
				if done < 0 || done > total {
					t.Errorf("progress of %q: %d of %d", step, done, total)
				}
				if len(steps) == 0 || steps[len(steps)-1] != step {
					steps = append(steps, step)
				}
			}
			r, err := bench.Run(context.Background(), bench.Config{Plan: bench.Tiny(),
				Backends: []bench.Backend{{Name: name, Store: st}}, Embedder: glove(t), Dir: t.TempDir(),
				Machine: bench.Describe(), Progress: progress})
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, r, name)
			checkOnlyOtherLeft(t, svc, other)
			if want := []string{"memory on " + name, "tracing", "offline turn on " + name, "HTTP load on " + name}; strings.Join(steps, "|") != strings.Join(want, "|") {
				t.Errorf("progress steps %q, want %q", steps, want)
			}
		})
	}
}

func checkReport(t *testing.T, r bench.Report, backend string) {
	t.Helper()
	if r.Plan != "tiny" || r.TookS <= 0 || r.Machine.LogicalCPUs < 1 {
		t.Errorf("plan %q, took %v s, machine %+v", r.Plan, r.TookS, r.Machine)
	}
	if len(r.Memory) != 1 || len(r.Memory[0].Sizes) != 2 {
		t.Fatalf("memory: %+v, want one backend with two sizes", r.Memory)
	}
	for i, s := range r.Memory[0].Sizes {
		if want := bench.Tiny().Sizes[i]; s.Interventions != want || s.RecordsPerS <= 0 {
			t.Errorf("size %d: %d interventions at %v records/s, want %d at a positive rate", i, s.Interventions, s.RecordsPerS, want)
		}
		checkLatency(t, "find similar", s.FindSimilar, bench.Tiny().Queries)
		checkLatency(t, "context", s.Context, bench.Tiny().Queries)
	}
	checkTracing(t, r.Tracing)
	if len(r.Turn) != 1 || r.Turn[0].Backend != backend || r.Turn[0].History != bench.Tiny().History {
		t.Fatalf("offline turn: %+v", r.Turn)
	}
	checkLatency(t, "offline turn", r.Turn[0].Turn, bench.Tiny().Turns)
	checkLoad(t, r.Load)
}

func checkLatency(t *testing.T, what string, l bench.Latency, n int) {
	t.Helper()
	if l.Count != n || l.P50Ms <= 0 || l.P99Ms < l.P50Ms || l.MaxMs < l.P99Ms {
		t.Errorf("%s: %+v, want %d positive durations with p50 ≤ p99 ≤ max", what, l, n)
	}
}

func checkTracing(t *testing.T, tr bench.TracingResult) {
	t.Helper()
	p := bench.Tiny()
	if tr.Calls != p.TracingRounds*p.TracingCalls || tr.UntracedUs <= 0 || tr.TracedUs <= 0 || tr.Ratio <= 0 {
		t.Errorf("tracing: %+v, want positive durations over %d calls", tr, p.TracingRounds*p.TracingCalls)
	}
	if d := tr.TracedUs - tr.UntracedUs - tr.OverheadUs; d > 1e-9 || d < -1e-9 {
		t.Errorf("tracing overhead %v µs, want traced − untraced = %v", tr.OverheadUs, tr.TracedUs-tr.UntracedUs)
	}
}

func checkLoad(t *testing.T, ls []bench.LoadResult) {
	t.Helper()
	if len(ls) != 1 {
		t.Fatalf("HTTP load: %+v, want one", ls)
	}
	l := ls[0]
	if l.Errors != 0 {
		t.Errorf("HTTP load: %d errors, first %q", l.Errors, l.FirstError)
	}
	if l.Sessions != bench.Tiny().Sessions || l.Messages < l.Sessions || l.MessagesPerS <= 0 {
		t.Errorf("HTTP load: %+v, want every session to have sent a message", l)
	}
	checkLatency(t, "HTTP message", l.Message, l.Messages)
}

// checkOnlyOtherLeft: the bench forgets its own users and leaves the
// others alone.
func checkOnlyOtherLeft(t *testing.T, svc *memory.Service, other memory.Intervention) {
	t.Helper()
	tot, err := svc.Totals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tot.Users != 1 || tot.Interventions != 1 || tot.Sessions != 0 || tot.Reflections != 0 {
		t.Errorf("left in the store: %+v, want only the other user's one intervention", tot)
	}
	if _, err := svc.Intervention(context.Background(), other.UserID, other.ID); err != nil {
		t.Errorf("the other user's intervention: %v", err)
	}
}

func TestReportJSONNamesUnits(t *testing.T) {
	b, err := json.Marshal(bench.Report{Memory: []bench.MemoryResult{{Sizes: []bench.SizeResult{{}}}},
		Turn: []bench.TurnResult{{}}, Load: []bench.LoadResult{{}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"records_per_s"`, `"p50_ms"`, `"p99_ms"`, `"overhead_us"`, `"ratio"`, `"messages_per_s"`, `"errors"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the report's JSON has no %s: %s", want, b)
		}
	}
}

func TestDescribe(t *testing.T) {
	m := bench.Describe()
	if m.CPU == "" || m.LogicalCPUs < 1 || m.GOMAXPROCS < 1 || !strings.HasPrefix(m.GoVersion, "go") || !strings.Contains(m.OS, "/") {
		t.Errorf("Describe() = %+v, want every field filled", m)
	}
	if s := m.String(); !strings.Contains(s, m.CPU) || !strings.Contains(s, m.GoVersion) {
		t.Errorf("String() = %q, want the CPU and Go version", s)
	}
}

func TestRedisVersion(t *testing.T) {
	srv := redistest.Start(t)
	got, err := bench.RedisVersion(context.Background(), srv.URL())
	if err != nil || got != srv.Version() {
		t.Errorf("RedisVersion = %q, %v; want %q", got, err, srv.Version())
	}
	if _, err := bench.RedisVersion(context.Background(), "http://not-redis"); err == nil {
		t.Error("RedisVersion of an http URL: no error")
	}
}

func openStore(t *testing.T, name string) memory.Store {
	t.Helper()
	var st memory.Store
	var err error
	switch name {
	case "sqlite":
		st, err = sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "memory.db"), sqlitestore.Options{})
	case "redis":
		st, err = redisstore.Open(context.Background(), redistest.Start(t).URL(), redisstore.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func glove(t *testing.T) embed.Embedder {
	t.Helper()
	g, err := embed.NewGloVe()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func service(t *testing.T, st memory.Store) *memory.Service {
	t.Helper()
	svc, err := memory.New(memory.Config{Store: st, Embedder: glove(t)})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// recordOther is a real user's intervention, which the bench must not touch.
func recordOther(t *testing.T, svc *memory.Service) memory.Intervention {
	t.Helper()
	iv, err := svc.Record(context.Background(), memory.Intervention{UserID: "someone", SessionID: "s1",
		Tool: "breathing_exercise", Category: memory.Emotional, Context: "everything is too loud", Text: "Let's breathe."})
	if err != nil {
		t.Fatal(err)
	}
	return iv
}

func TestRunRefusesAnEmptyPlan(t *testing.T) {
	p := bench.Tiny()
	p.Sizes = nil
	if _, err := bench.Run(context.Background(), bench.Config{Plan: p, Embedder: glove(t), Dir: t.TempDir()}); err == nil {
		t.Error("Run with no sizes: no error")
	}
}
