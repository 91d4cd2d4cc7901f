package server_test

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/eval/evalstore"
	"github.com/steady-voice/steady/observe/tracestore"
)

func TestOpTimelineRoute(t *testing.T) {
	r := newRig(t)
	now := r.clock.Now()
	tr := sdktrace.NewTracerProvider(sdktrace.WithSyncer(r.traces)).Tracer("dashboard_api_test")
	const op = "test.timeline"
	// Two hours ago: 10 and 30 ms, the second failed; the last hour: 5 ms.
	spans := []struct {
		ago, latency time.Duration
		failed       bool
	}{
		{2*time.Hour - time.Minute, 10 * time.Millisecond, false},
		{2*time.Hour - 2*time.Minute, 30 * time.Millisecond, true},
		{time.Minute, 5 * time.Millisecond, false},
	}
	for _, s := range spans {
		start := now.Add(-s.ago)
		_, sp := tr.Start(r.ctx, op, trace.WithTimestamp(start))
		if s.failed {
			sp.SetStatus(codes.Error, "failed")
		}
		sp.End(trace.WithTimestamp(start.Add(s.latency)))
	}
	admin := r.admin()
	got, err := admin.OpTimeline(r.ctx, op, now.Add(-4*time.Hour), 4)
	must(t, err)
	ms := time.Millisecond
	want := []tracestore.OpBucket{
		{Start: now.Add(-4 * time.Hour)},
		{Start: now.Add(-3 * time.Hour)},
		{Start: now.Add(-2 * time.Hour), Count: 2, Errors: 1, ErrorRate: 0.5, P50: 10 * ms, P95: 30 * ms, P99: 30 * ms},
		{Start: now.Add(-time.Hour), Count: 1, P50: 5 * ms, P95: 5 * ms, P99: 5 * ms},
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
	def, err := admin.OpTimeline(r.ctx, op, time.Time{}, 0)
	must(t, err)
	if len(def) != tracestore.DefaultBuckets {
		t.Errorf("default timeline has %d buckets, want %d", len(def), tracestore.DefaultBuckets)
	}

	tests := []struct {
		name    string
		op      string
		since   time.Time
		buckets int
	}{
		{"no op", "", time.Time{}, 0},
		{"one bucket", op, time.Time{}, 1},
		{"too many buckets", op, time.Time{}, tracestore.MaxBuckets + 1},
		{"since in the future", op, now.Add(time.Hour), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := admin.OpTimeline(r.ctx, tt.op, tt.since, tt.buckets)
			wantCode(t, tt.name, err, steady.Invalid)
		})
	}
	_, err = r.user("Ana", "ana@example.com").OpTimeline(r.ctx, op, time.Time{}, 0)
	wantCode(t, "a user's timeline", err, steady.Forbidden)
}

// scoredRun is a stored-run-shaped eval.Run whose scorer "judge" gave
// each example id its score.
func scoredRun(id string, scores map[string]float64) *eval.Run {
	run := &eval.Run{ID: id, Name: id, Scorers: []string{"judge"}, Summary: eval.Summary{Rows: len(scores)}}
	var results []eval.Result
	for _, ex := range []string{"room", "thanks"} {
		res := eval.Result{eval.ScoreKey: scores[ex]}
		run.Rows = append(run.Rows, eval.Row{Example: eval.Example{ID: ex, Input: ex},
			Scores: map[string]eval.Result{"judge": res}})
		results = append(results, res)
	}
	run.Summary.Scorers = map[string]eval.Result{"judge": eval.Summarize(results)}
	return run
}

func TestCompareEvaluationsRoute(t *testing.T) {
	r := newRig(t)
	runs := evalstore.New(r.traces)
	must(t, runs.SaveRun(r.ctx, scoredRun("before", map[string]float64{"room": 0, "thanks": 1})))
	must(t, runs.SaveRun(r.ctx, scoredRun("after", map[string]float64{"room": 1, "thanks": 1})))
	admin := r.admin()

	got, err := admin.CompareEvaluations(r.ctx, "before", "after")
	must(t, err)
	if got.A != "before" || got.B != "after" || len(got.Scorers) != 1 {
		t.Fatalf("comparison %+v, want before against after on one scorer", got)
	}
	sc := got.Scorers[0]
	if sc.Scorer != "judge" || sc.Rows != 2 || sc.Wins != 1 || sc.Losses != 0 || sc.Ties != 1 {
		t.Errorf("scorer %+v, want judge: 2 rows, 1 win, 0 losses, 1 tie", sc)
	}
	var mean *eval.MetricDelta
	for i, m := range sc.Metrics {
		if m.Path == eval.ScoreKey+".mean" {
			mean = &sc.Metrics[i]
		}
	}
	if mean == nil || mean.A != 0.5 || mean.B != 1 || mean.Delta != 0.5 {
		t.Errorf("metrics %+v, want score.mean 0.5 → 1, delta 0.5", sc.Metrics)
	}

	_, err = admin.CompareEvaluations(r.ctx, "before", "no-such-run")
	wantCode(t, "an unknown run", err, steady.NotFound)
	if err == nil || !strings.Contains(err.Error(), "no-such-run") {
		t.Errorf("error %v, want it to name no-such-run", err)
	}
	_, err = admin.CompareEvaluations(r.ctx, "", "after")
	wantCode(t, "no run a", err, steady.Invalid)
	_, err = r.user("Ana", "ana@example.com").CompareEvaluations(r.ctx, "before", "after")
	wantCode(t, "a user's comparison", err, steady.Forbidden)
}
