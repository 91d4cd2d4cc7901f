package agent_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/agent/data"
	"github.com/steady-voice/steady/internal/gctune"
	"github.com/steady-voice/steady/internal/redistest"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/redisstore"
	"github.com/steady-voice/steady/memory/sqlitestore"
)

// BenchmarkOfflineTurn is a full offline turn — embed, dynamic context,
// situation, policy over the user's memory, tool on the session state,
// enqueue of the intervention — for a user with 1,000 scored
// interventions (growing by one a turn, as in use), in Redis and in SQLite.
// It reports the p50 and p99 of a turn.
//
// "paced" turns come as in a conversation: the previous turn's background
// writes have landed before the user speaks again (the wait is outside
// the timer). "back-to-back" turns leave them running, the worst case: the
// recorder, the store and the turn share the machine's cores.
//
// The garbage collector is set as `steady serve` sets it (gctune: GOGC=400
// unless the environment says otherwise); BenchmarkOfflineTurnDefaultGC
// shows the same turn with Go's default.
func BenchmarkOfflineTurn(b *testing.B) {
	defer gctune.Apply()()
	offlineTurns(b)
}

// BenchmarkOfflineTurnDefaultGC is BenchmarkOfflineTurn with the
// collector left at Go's default (GOGC=100 unless set), for comparison.
func BenchmarkOfflineTurnDefaultGC(b *testing.B) { offlineTurns(b) }

func offlineTurns(b *testing.B) {
	for _, paced := range []bool{true, false} {
		name := map[bool]string{true: "paced", false: "back-to-back"}[paced]
		b.Run("redis/"+name, func(b *testing.B) {
			srv := redistest.Start(b)
			st, err := redisstore.Open(context.Background(), srv.URL(), redisstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			benchTurns(b, st, paced)
		})
		b.Run("sqlite/"+name, func(b *testing.B) {
			st, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "memory.db"), sqlitestore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			benchTurns(b, st, paced)
		})
	}
}

func benchTurns(b *testing.B, st memory.Store, paced bool) {
	ctx := context.Background()
	svc, err := memory.New(memory.Config{Store: st, Embedder: embedder(b), Context: memory.ContextOptions{MinScore: 0.7}})
	if err != nil {
		b.Fatal(err)
	}
	utterances := seedHistory(b, svc, "bench", 1000)
	rec, err := agent.NewRecorder(agent.RecorderConfig{Memory: svc, SpoolPath: filepath.Join(b.TempDir(), "spool")})
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close(ctx)
	a, err := agent.New(ctx, agent.Config{Memory: svc, Recorder: rec, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	durations := make([]time.Duration, 0, b.N)
	var s *agent.Session
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%10 == 0 || paced {
			b.StopTimer()
			if i%10 == 0 { // a fresh session now and then keeps its state small
				if s, _, err = a.Start(ctx, "bench", fmt.Sprintf("s%d", i)); err != nil {
					b.Fatal(err)
				}
			}
			if paced {
				if err := rec.Flush(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
		}
		start := time.Now()
		if _, err := a.Turn(ctx, s, utterances[i%len(utterances)]); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds()), "p99-µs")
}

// seedHistory gives user n scored interventions across the situations and
// returns utterances to speak.
func seedHistory(tb testing.TB, svc *memory.Service, user string, n int) []string {
	tb.Helper()
	ex := data.Situations()
	tools := agent.Tools()
	for i := range n {
		e := ex[i%len(ex)]
		t := tools[i%len(tools)]
		outcome, score := memory.ReEngaged, 0.7
		if i%3 == 0 {
			outcome, score = memory.InterventionApplied, 0.3
		}
		_, err := svc.Record(context.Background(), memory.Intervention{UserID: user, SessionID: "history",
			Tool: t.Name, Category: t.Category, Context: fmt.Sprintf("%s (%d)", e.Text, i), Text: "Used " + t.Name,
			Outcome: outcome, Scores: map[string]float64{agent.ScoreName: score}})
		if err != nil {
			tb.Fatal(err)
		}
	}
	texts := make([]string, len(ex))
	for i, e := range ex {
		texts[i] = e.Text
	}
	return texts
}
