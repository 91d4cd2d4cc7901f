package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/steady-voice/steady/internal/redistest"
	"github.com/steady-voice/steady/memory"
)

// backends runs fn against the embedded store and against a private Redis.
func backends(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, map[string]string{"STEADY_DATA": t.TempDir()})
	})
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t)
		fn(t, map[string]string{"STEADY_DATA": t.TempDir(), "STEADY_REDIS_URL": srv.URL()})
	})
}

func jsonOut[T any](t *testing.T, env map[string]string, args ...string) T {
	t.Helper()
	var v T
	out := mustSteady(t, env, "", append([]string{"--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

func TestMemoryCommandsEndToEnd(t *testing.T) {
	backends(t, func(t *testing.T, env map[string]string) {
		iv := jsonOut[memory.Intervention](t, env, "memory", "record", "--user", "ana", "--session", "s1",
			"--tool", "start_breathing_exercise", "--context", "my chest is tight and everything is too much",
			"--text", "three slow breaths", "--score", "effectiveness=0.7")
		if iv.Category != memory.Emotional || iv.Outcome != memory.Pending || iv.Scores["effectiveness"] != 0.7 {
			t.Errorf("recorded %+v, want emotional, pending, effectiveness 0.7", iv)
		}
		if found := jsonOut[[]memory.Match](t, env, "memory", "search", "--user", "ana", "--query", "it is all too much"); len(found) != 0 {
			t.Errorf("pending intervention found by a successful-only search: %+v", found)
		}
		jsonOut[memory.Intervention](t, env, "memory", "outcome", "--user", "ana", "--id", iv.ID, "--outcome", "re_engaged", "--score", "effectiveness=0.9")
		found := jsonOut[[]memory.Match](t, env, "memory", "search", "--user", "ana", "--query", "it is all too much")
		if len(found) != 1 || found[0].ID != iv.ID || found[0].Scores["effectiveness"] != 0.9 {
			t.Fatalf("search after outcome = %+v, want the intervention with effectiveness 0.9", found)
		}
		if other := jsonOut[[]memory.Match](t, env, "memory", "search", "--user", "ben", "--query", "it is all too much", "--all-outcomes"); len(other) != 0 {
			t.Errorf("ben's search found %d of ana's records", len(other))
		}
		list := jsonOut[struct{ Interventions []memory.Intervention }](t, env, "memory", "list", "--user", "ana")
		if len(list.Interventions) != 1 {
			t.Errorf("list has %d interventions, want 1", len(list.Interventions))
		}
		jsonOut[memory.Reflection](t, env, "memory", "reflect", "--user", "ana", "--session", "s1", "--insight", "breathing works when she is flooded")
		if rs := jsonOut[[]memory.Reflection](t, env, "memory", "reflections", "--user", "ana"); len(rs) != 1 {
			t.Errorf("%d reflections, want 1", len(rs))
		}
		p := jsonOut[memory.Profile](t, env, "memory", "profile", "--user", "ana", "--set", "diagnosis=adhd", "--set", "diagnosis_source=self", "--set", "sensory_sensitivities=noise, light")
		if p.Diagnosis != memory.DiagnosisADHD || len(p.SensorySensitivities) != 2 {
			t.Errorf("profile %+v, want ADHD with 2 sensitivities", p)
		}
		ctx := jsonOut[struct{ Prompt, Dynamic string }](t, env, "memory", "context", "--user", "ana", "--query", "everything is too much")
		if !strings.Contains(ctx.Prompt, "ADHD:") || !strings.Contains(ctx.Dynamic, "User said:") {
			t.Errorf("context %+v lacks the profile guidance or the example", ctx)
		}
		st := jsonOut[memory.Stats](t, env, "memory", "stats", "--user", "ana")
		if st.Interventions != 1 || st.Successful != 1 || st.Reflections != 1 {
			t.Errorf("stats %+v, want 1/1/1", st)
		}
		if tot := jsonOut[memory.Totals](t, env, "memory", "stats"); tot.Users < 1 || tot.Interventions != 1 {
			t.Errorf("totals %+v, want 1 intervention", tot)
		} else if len(tot.Tools) != 1 || tot.Tools[0].Successes != 1 || len(tot.Daily) != memory.GrowthDays || tot.Daily[memory.GrowthDays-1].Count != 1 {
			t.Errorf("totals tools %+v, daily %+v: want 1 successful tool, 1 today", tot.Tools, tot.Daily)
		}
		out := mustSteady(t, env, "", "memory", "stats")
		for _, want := range []string{"start_breathing_exercise", "100%", "0.90", "new interventions", ": 1 (per day: 0 0 "} {
			if !strings.Contains(out, want) {
				t.Errorf("memory stats printed\n%s\nwant it to contain %q", out, want)
			}
		}
		f := jsonOut[memory.Forgotten](t, env, "memory", "forget", "--user", "ana")
		if f.Interventions != 1 || f.Reflections != 1 || f.Profiles != 1 {
			t.Errorf("forget %+v, want 1 of each", f)
		}
		if h := jsonOut[healthReport](t, env, "health"); !h.OK {
			t.Errorf("health %+v, want ok", h)
		}
	})
}

func TestMemoryCommandsRejectBadInput(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir()}
	tests := [][]string{
		{"memory", "record", "--user", "a b", "--session", "s", "--tool", "sensory_check", "--context", "x"},
		{"memory", "record", "--user", "a", "--session", "s", "--tool", "sensory_check"},
		{"memory", "record", "--user", "a", "--session", "s", "--tool", "sensory_check", "--context", "x", "--score", "eff"},
		{"memory", "record", "--user", "a", "--session", "s", "--tool", "sensory_check", "--context", "x", "--outcome", "great"},
		{"memory", "search", "--user", "a", "--query", "x", "--k", "0"},
		{"memory", "outcome", "--user", "a", "--id", "nope", "--outcome", "re_engaged"},
		{"memory", "list", "--user", "a", "--cursor", "%%%"},
		{"memory", "profile", "--user", "a", "--set", "mood=happy"},
		{"memory", "profile", "--user", "a"},
	}
	for _, args := range tests {
		if _, _, err := steady(t, env, "", args...); err == nil {
			t.Errorf("steady %s: no error", strings.Join(args, " "))
		}
	}
	if list := jsonOut[struct{ Interventions []memory.Intervention }](t, env, "memory", "list", "--user", "a"); len(list.Interventions) != 0 {
		t.Errorf("bad input wrote %d interventions", len(list.Interventions))
	}
}

func TestHealthReportsUnreachableRedis(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir(), "STEADY_REDIS_URL": "redis://:hunter2@127.0.0.1:1/0"}
	out, _, err := steady(t, env, "", "--json", "health")
	if err == nil {
		t.Fatal("health passed with Redis unreachable")
	}
	var h healthReport
	if jerr := json.Unmarshal([]byte(out), &h); jerr != nil || h.OK || h.Memory.Kind != "redis" {
		t.Errorf("health printed %q, want a JSON report of an unavailable redis", out)
	}
	if strings.Contains(out, "hunter2") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the Redis password leaked: %s / %v", out, err)
	}
}

func TestMemorySettingsReachTheService(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir(), "STEADY_INTERVENTION_TTL": "90m"}
	iv := jsonOut[memory.Intervention](t, env, "memory", "record", "--user", "ana", "--session", "s",
		"--tool", "suggest_break", "--context", "I need a pause")
	if got := iv.ExpiresAt.Sub(iv.CreatedAt); got != 90*time.Minute {
		t.Errorf("STEADY_INTERVENTION_TTL=90m gave a lifetime of %v", got)
	}
	for _, bad := range []map[string]string{
		{"STEADY_SESSION_TTL": "a day"},
		{"STEADY_SCORE_WEIGHT": "lots"},
		{"STEADY_RECENCY_WEIGHT": "-1"},
		{"STEADY_REFLECTION_TTL": "0s"},
	} {
		bad["STEADY_DATA"] = t.TempDir()
		if _, _, err := steady(t, bad, "", "memory", "stats"); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
