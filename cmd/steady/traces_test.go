package main

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/steady-voice/steady/observe/tracestore"
)

func TestCommandsAreTracedIntoTheStore(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir()}
	mustSteady(t, env, "", "memory", "record", "--user", "ana", "--session", "s1", "--tool", "sensory_check",
		"--context", "the lights buzz", "--outcome", "re_engaged")
	mustSteady(t, env, "", "memory", "search", "--user", "ana", "--query", "buzzing lights")

	calls := jsonOut[[]tracestore.Call](t, env, "traces", "list", "--op", "memory.search", "--attr", "user.id=ana")
	if len(calls) != 1 || calls[0].Status != "ok" || !strings.Contains(calls[0].Output, "the lights buzz") {
		t.Fatalf("memory.search calls %+v, want one ok call whose output shows the match", calls)
	}
	if other := jsonOut[[]tracestore.Call](t, env, "traces", "list", "--attr", "user.id=ben"); len(other) != 0 {
		t.Errorf("calls of user ben: %d, want none", len(other))
	}
	tree := mustSteady(t, env, "", "traces", "show", calls[0].TraceID)
	for _, want := range []string{"steady.memory.search", "\n  memory.search", "\n    embed"} {
		if !strings.Contains(tree, want) {
			t.Errorf("tree lacks %q:\n%s", want, tree)
		}
	}
	stats := jsonOut[[]tracestore.OpStat](t, env, "traces", "stats")
	ops := map[string]int{}
	for _, s := range stats {
		ops[s.Op] = s.Count
	}
	if ops["memory.record"] != 1 || ops["memory.search"] != 1 || ops["embed"] != 2 {
		t.Errorf("op counts %v, want 1 record, 1 search, 2 embeds", ops)
	}
	fb := jsonOut[tracestore.Feedback](t, env, "traces", "feedback", calls[0].CallID, "--reaction", "👍", "--note", "spot on")
	if fb.Reaction != "👍" || fb.CallID != calls[0].CallID {
		t.Errorf("feedback %+v", fb)
	}
	call := jsonOut[[]tracestore.Call](t, env, "traces", "show", calls[0].TraceID)
	found := false
	for _, c := range call {
		found = found || len(c.Feedback) == 1 && c.Feedback[0].Note == "spot on"
	}
	if !found {
		t.Error("the feedback is not returned with its call")
	}
}

func TestTracesCommandsRejectBadInput(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir()}
	for _, args := range [][]string{
		{"traces", "list", "--attr", "novalue"},
		{"traces", "list", "--status", "meh"},
		{"traces", "show", "0123456789abcdef0123456789abcdef"},
		{"traces", "feedback", "0123456789abcdef", "--reaction", "👍"},
		{"traces", "feedback", "x", "--reaction", "🎉"},
		{"--trace-export", "zipkin", "traces", "stats"},
		{"--trace-export", "weave", "--wandb-project", "noslash", "traces", "stats"},
	} {
		if _, _, err := steady(t, env, "", args...); err == nil {
			t.Errorf("steady %s: no error", strings.Join(args, " "))
		}
	}
}

func TestTraceContentCanBeTurnedOff(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir(), "STEADY_TRACE_CONTENT": "false"}
	mustSteady(t, env, "", "memory", "record", "--user", "ana", "--session", "s1", "--tool", "sensory_check", "--context", "a secret worry")
	calls := jsonOut[[]tracestore.Call](t, env, "traces", "list", "--op", "memory.record")
	if len(calls) != 1 || calls[0].Inputs != "" || calls[0].Output != "" {
		t.Errorf("with content capture off: %+v, want a call without inputs or output", calls)
	}
}

func TestTracesGoOutOverOTLPWhenConfigured(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()
	env := map[string]string{"STEADY_DATA": t.TempDir(), "STEADY_TRACE_EXPORT": "langfuse", "STEADY_TRACE_ENDPOINT": srv.URL,
		"LANGFUSE_PUBLIC_KEY": "pk-lf-1", "LANGFUSE_SECRET_KEY": "sk-lf-secret"}
	out, errOut, err := steady(t, env, "", "memory", "stats")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 || !strings.HasPrefix(got[0], "POST /api/public/otel/v1/traces application/x-protobuf Basic ") {
		t.Errorf("the trace backend saw %q, want an OTLP/HTTP POST with Basic auth", got)
	}
	if strings.Contains(out+errOut, "sk-lf-secret") {
		t.Error("the Langfuse secret key was printed")
	}
}

func TestTracesScoreKeepsScoresAsFeedback(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir()}
	mustSteady(t, env, "", "memory", "record", "--user", "ana", "--session", "s1", "--tool", "sensory_check",
		"--context", "the lights buzz", "--outcome", "re_engaged")
	calls := jsonOut[[]tracestore.Call](t, env, "traces", "list", "--op", "memory.record")
	if len(calls) != 1 {
		t.Fatalf("got %d memory.record calls, want 1", len(calls))
	}
	id := calls[0].CallID

	got := jsonOut[scoreReport](t, env, "traces", "score", id, "--scorer", "effectiveness")
	want := map[string]float64{"effectiveness.score": 0.7, "effectiveness.successful": 1}
	if got.CallID != id || got.Scorer != "effectiveness" || !reflect.DeepEqual(got.Scores, want) {
		t.Errorf("score --json = %+v, want call %s scored by effectiveness with %v", got, id, want)
	}
	table := mustSteady(t, env, "", "traces", "score", id, "--scorer", "brevity")
	if !strings.Contains(table, "brevity.score ") {
		t.Errorf("score printed %q, want a brevity.score line", table)
	}
	trace := jsonOut[[]tracestore.Call](t, env, "traces", "show", calls[0].TraceID)
	var stored []map[string]float64
	for _, c := range trace {
		for _, f := range c.Feedback {
			stored = append(stored, f.Scores)
		}
	}
	if len(stored) != 2 || !reflect.DeepEqual(stored[0], want) {
		t.Errorf("feedback scores %v, want two, the first %v", stored, want)
	}
}

func TestTracesScoreRejectsBadInput(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir(), "STEADY_TRACE_CONTENT": "false"}
	mustSteady(t, env, "", "memory", "record", "--user", "ana", "--session", "s1", "--tool", "sensory_check", "--context", "a secret worry")
	calls := jsonOut[[]tracestore.Call](t, env, "traces", "list", "--op", "memory.record")
	if len(calls) != 1 {
		t.Fatalf("got %d memory.record calls, want 1", len(calls))
	}
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"unknown scorer", []string{"traces", "score", calls[0].CallID, "--scorer", "kindness"}, "want one of effectiveness, memory_retrieval, brevity"},
		{"no scorer", []string{"traces", "score", calls[0].CallID}, `--scorer ""`},
		{"unknown call", []string{"traces", "score", "0123456789abcdef", "--scorer", "brevity"}, `no call "0123456789abcdef"`},
		{"content capture off", []string{"traces", "score", calls[0].CallID, "--scorer", "brevity"}, "content capture was off"},
		{"no call id", []string{"traces", "score", "--scorer", "brevity"}, "accepts 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := steady(t, env, "", tt.args...); err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("steady %s: error %v, want one containing %q", strings.Join(tt.args, " "), err, tt.msg)
			}
		})
	}
}
