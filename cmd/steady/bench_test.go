package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/steady-voice/steady/bench"
	"github.com/steady-voice/steady/internal/redistest"
)

// The bench runs with the hidden --tiny plan here: --quick takes most of a
// minute, and the figures are not what these tests check.

func TestBenchJSON(t *testing.T) {
	tests := []struct {
		name     string
		redis    bool
		backends []string
	}{
		{"sqlite only", false, []string{"sqlite"}},
		{"with redis", true, []string{"sqlite", "redis"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			env := map[string]string{"STEADY_DATA": data}
			if tc.redis {
				env["STEADY_REDIS_URL"] = redistest.Start(t).URL()
			}
			var r bench.Report
			out := mustSteady(t, env, "", "bench", "--tiny", "--json")
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("bench --json printed %q: %v", out, err)
			}
			checkBenchReport(t, r, tc.backends)
			if tc.redis == (len(r.Skipped) > 0) {
				t.Errorf("skipped %q with redis %v", r.Skipped, tc.redis)
			}
			if tc.redis && r.Machine.RedisVersion == "" {
				t.Error("no Redis version in the machine's description")
			}
			// Nor traces.db: the bench's own spans would bury the user's.
			if left, _ := os.ReadDir(data); len(left) != 0 {
				t.Errorf("left in --data: %v, want nothing", left)
			}
		})
	}
}

func checkBenchReport(t *testing.T, r bench.Report, backends []string) {
	t.Helper()
	if r.Plan != "tiny" || r.Machine.CPU == "" {
		t.Errorf("plan %q, machine %+v", r.Plan, r.Machine)
	}
	if len(r.Memory) != len(backends) || len(r.Turn) != len(backends) || len(r.Load) != len(backends) {
		t.Fatalf("%d memory, %d turn, %d load results; want %d of each", len(r.Memory), len(r.Turn), len(r.Load), len(backends))
	}
	for i, b := range backends {
		if r.Memory[i].Backend != b || r.Turn[i].Backend != b || r.Load[i].Backend != b {
			t.Errorf("result %d is on %s, %s, %s; want %s", i, r.Memory[i].Backend, r.Turn[i].Backend, r.Load[i].Backend, b)
		}
		if l := r.Load[i]; l.Errors != 0 || l.Messages == 0 || l.Message.P99Ms < l.Message.P50Ms {
			t.Errorf("HTTP load on %s: %+v", b, l)
		}
	}
	if r.Tracing.Ratio <= 0 {
		t.Errorf("tracing: %+v", r.Tracing)
	}
}

func TestBenchTables(t *testing.T) {
	out := mustSteady(t, nil, "", "bench", "--tiny")
	for _, want := range []string{"steady bench (tiny) on ", "GOMAXPROCS", "records/s", "find p99 ms", "context p50 ms",
		"overhead µs", "ratio", "Offline turn", "HTTP load", "errors", "skipped redis", "--redis"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench printed no %q:\n%s", want, out)
		}
	}
}

func TestBenchThousands(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {100000, "100,000"}, {1234567, "1,234,567"}, {-1000, "-1,000"}} {
		if got := thousands(tc.n); got != tc.want {
			t.Errorf("thousands(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestBenchHelpHidesTiny(t *testing.T) {
	out := mustSteady(t, nil, "", "bench", "--help")
	if !strings.Contains(out, "--quick") || strings.Contains(out, "--tiny") {
		t.Errorf("bench --help: want --quick shown and --tiny hidden:\n%s", out)
	}
}
