package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/memory"
)

func TestRecorderStoresEveryRecordOnce(t *testing.T) {
	mem := recSQLiteMemory(t)
	rec := recStart(t, mem, filepath.Join(t.TempDir(), "recorder.spool"))
	want := recLoad(rec, 10, 1000, nil)
	recClose(t, rec)
	recCheckStored(t, mem, want)
	st := rec.Stats()
	if st.Recorded != 1000 || st.Outcomes != 334 || st.Queued != 0 || st.SpoolPending != 0 || st.Dropped != 0 {
		t.Errorf("Stats: got %+v, want 1000 recorded, 334 outcomes, nothing queued, pending or dropped", st)
	}
}

func TestNewRecorderRefusesIncompleteConfig(t *testing.T) {
	mem := recSQLiteMemory(t)
	tests := []struct {
		name string
		cfg  agent.RecorderConfig
	}{
		{"no memory", agent.RecorderConfig{SpoolPath: filepath.Join(t.TempDir(), "s")}},
		{"no spool", agent.RecorderConfig{Memory: mem}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := agent.NewRecorder(tt.cfg); !steady.Is(err, steady.Invalid) {
				t.Errorf("NewRecorder: got %v, want code %q", err, steady.Invalid)
			}
		})
	}
}

// TestRecorderDropsWhatCanNeverSucceed: a job the store refuses as Invalid,
// or an outcome of an intervention that does not exist, is counted and
// dropped at once, never retried or spooled.
func TestRecorderDropsWhatCanNeverSucceed(t *testing.T) {
	mem := recSQLiteMemory(t)
	rec := recStart(t, mem, filepath.Join(t.TempDir(), "recorder.spool"))
	bad := recIntervention("alice", 0)
	bad.Tool = "Not A Tool!"
	rec.Record(bad)
	rec.SetOutcome("alice", uuid.NewString(), memory.TaskCompleted, nil)
	good := rec.Record(recIntervention("alice", 1))
	recClose(t, rec)
	st := rec.Stats()
	if st.Dropped != 2 || st.Retries != 0 || st.Spooled != 0 || st.Recorded != 1 {
		t.Errorf("Stats: got %+v, want 2 dropped, 1 recorded, no retries, nothing spooled", st)
	}
	recCheckStored(t, mem, map[string]recWant{good: {user: "alice", outcome: memory.Pending}})
}

// writeSpool writes entries as the spool's JSON lines and returns the byte
// length of each line.
func writeSpool(t *testing.T, path string, entries []any, tail string) []int {
	t.Helper()
	var b strings.Builder
	var sizes []int
	for _, e := range entries {
		line, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := e.(string); ok {
			line = []byte(s) // a corrupt line, written as is
		}
		b.Write(line)
		b.WriteByte('\n')
		sizes = append(sizes, len(line)+1)
	}
	b.WriteString(tail)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return sizes
}

type spoolRecord struct {
	Op string              `json:"op"`
	IV memory.Intervention `json:"iv"`
}

type spoolOutcome struct {
	Op      string             `json:"op"`
	UserID  string             `json:"user_id"`
	ID      string             `json:"id"`
	Outcome memory.Outcome     `json:"outcome"`
	Scores  map[string]float64 `json:"scores"`
}

// withID gives iv a caller's id and creation time, as Recorder.Record does.
func withID(iv memory.Intervention) memory.Intervention {
	iv.ID, iv.CreatedAt = uuid.Must(uuid.NewV7()).String(), time.Now().UTC()
	return iv
}

func outcome(iv memory.Intervention, o memory.Outcome, score float64) spoolOutcome {
	return spoolOutcome{"outcome", iv.UserID, iv.ID, o, map[string]float64{"effectiveness": score}}
}

// TestRecorderReplaysCrashedSpoolOnce is a Recorder that died with a spool
// on disk: the first entry was applied and its offset written; the second
// was applied but the crash came before its offset was (so it is stored
// already); the rest never reached the store. A new Recorder applies each
// exactly once.
func TestRecorderReplaysCrashedSpoolOnce(t *testing.T) {
	mem := recSQLiteMemory(t)
	path := filepath.Join(t.TempDir(), "recorder.spool")
	done, stored, fresh := withID(recIntervention("alice", 0)), withID(recIntervention("alice", 1)), withID(recIntervention("bob", 2))
	if _, err := mem.Record(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	sizes := writeSpool(t, path, []any{
		spoolRecord{"record", done}, // offset past it: must not be applied again
		spoolRecord{"record", stored},
		spoolRecord{"record", fresh},
		outcome(fresh, memory.TaskStarted, 0.2),
		outcome(stored, memory.ReEngaged, 0.9),
		outcome(fresh, memory.TaskCompleted, 0.7),
	}, "")
	if err := os.WriteFile(path+".offset", fmt.Appendf(nil, "%020d\n", sizes[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := recStart(t, mem, path)
	rec.SetOutcome("bob", fresh.ID, memory.Abandoned, map[string]float64{"effectiveness": 0.1}) // after the spool's
	recClose(t, rec)
	recCheckStored(t, mem, map[string]recWant{
		stored.ID: {user: "alice", outcome: memory.ReEngaged, score: 0.9},
		fresh.ID:  {user: "bob", outcome: memory.Abandoned, score: 0.1},
	})
	// Bob's outcome went to the spool behind his entries, unless the replay
	// had already finished.
	if st := rec.Stats(); st.Replayed != 5+st.Spooled || st.Recorded != 2 || st.Outcomes != 4 || st.SpoolPending != 0 {
		t.Errorf("Stats: got %+v, want 5 replayed (+ what was spooled), 2 recorded (one already stored), 4 outcomes, none pending", st)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Errorf("spool after a full replay: got %v, %v; want an empty file", fi.Size(), err)
	}
}

// TestRecorderSpoolDamage: a torn last line (a crash mid-append) is skipped
// with a warning, a corrupt line in the middle is kept in the .bad file,
// and every good entry around them is applied.
func TestRecorderSpoolDamage(t *testing.T) {
	mem := recSQLiteMemory(t)
	path := filepath.Join(t.TempDir(), "recorder.spool")
	a, b := withID(recIntervention("alice", 0)), withID(recIntervention("alice", 1))
	const corrupt, torn = `{"op":"record","iv":{"id":`, `{"op":"outcome","user_id":"ali`
	writeSpool(t, path, []any{spoolRecord{"record", a}, corrupt, spoolRecord{"record", b}, outcome(b, memory.TaskCompleted, 1)}, torn)
	logs := &recLogBuffer{}
	rec := recStart(t, mem, path, func(c *agent.RecorderConfig) { c.Logger = slogTo(logs) })
	recClose(t, rec)
	recCheckStored(t, mem, map[string]recWant{
		a.ID: {user: "alice", outcome: memory.Pending},
		b.ID: {user: "alice", outcome: memory.TaskCompleted, score: 1},
	})
	bad, err := os.ReadFile(path + ".bad")
	if want := torn + "\n" + corrupt + "\n"; err != nil || string(bad) != want {
		t.Errorf(".bad file: got %q, %v; want %q", bad, err, want)
	}
	for _, want := range []string{"torn last line", "unreadable entry"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log: got %q, want a warning about %q", logs.String(), want)
		}
	}
	if st := rec.Stats(); st.Replayed != 3 || st.SpoolPending != 0 {
		t.Errorf("Stats: got %+v, want 3 replayed, none pending", st)
	}
}

// TestRecorderManyGoroutines records from many goroutines through a tiny
// queue, so jobs keep spilling to the spool and replaying while others are
// queued; every intervention must end up stored once, in order with its
// outcome. Run with -race.
func TestRecorderManyGoroutines(t *testing.T) {
	mem := recSQLiteMemory(t)
	rec := recStart(t, mem, filepath.Join(t.TempDir(), "recorder.spool"), func(c *agent.RecorderConfig) {
		c.QueueSize, c.ReplayEvery = 4, 2*time.Millisecond
	})
	var mu sync.Mutex
	want := map[string]recWant{}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 40 {
				user := fmt.Sprintf("user%d", (g+i)%6)
				id := rec.Record(recIntervention(user, i))
				w := recWant{user: user, outcome: memory.Pending}
				if i%2 == 0 {
					w.outcome, w.score = memory.TaskProgress, float64(g)/16
					rec.SetOutcome(user, id, memory.TaskStarted, nil)
					rec.SetOutcome(user, id, w.outcome, map[string]float64{"effectiveness": w.score})
				}
				_ = rec.Stats()
				mu.Lock()
				want[id] = w
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	recClose(t, rec)
	recCheckStored(t, mem, want)
	if st := rec.Stats(); st.Recorded != 640 || st.Outcomes != 640 || st.Dropped != 0 || st.SpoolPending != 0 {
		t.Errorf("Stats: got %+v, want 640 recorded, 640 outcomes, none dropped or pending", st)
	}
}
