package sqlitestore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/sqlitestore"
	"github.com/steady-voice/steady/memory/storetest"
)

func TestConformance(t *testing.T) {
	for _, tt := range []struct {
		name string
		opt  sqlitestore.Options
	}{
		{"default", sqlitestore.Options{}},
		{"no cache", sqlitestore.Options{CacheUsers: -1}},
		{"one cached user", sqlitestore.Options{CacheUsers: 1}}, // evicts on every other user
	} {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, now func() time.Time) memory.Store {
				opt := tt.opt
				opt.Now = now
				return open(t, filepath.Join(t.TempDir(), "memory.db"), opt)
			})
		})
	}
}

// open opens a store at path and closes it when the test ends.
func open(t testing.TB, path string, opt sqlitestore.Options) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), path, opt)
	if err != nil {
		t.Fatalf("Open(%s): got %v, want nil", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: got %v, want nil", err)
		}
	})
	return s
}

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// intervention returns an intervention of user with every field set,
// created now and live for ttl.
func intervention(user, id string, now time.Time, ttl time.Duration) memory.Intervention {
	vec := make([]float32, 100)
	for i := range vec {
		vec[i] = float32(i+len(id)) / 1000
	}
	return memory.Intervention{
		ID: id, UserID: user, SessionID: "s1", Tool: "breathing", Category: memory.Emotional,
		Context: "I feel overwhelmed — ünï", Text: "Let's breathe in for 4.", Task: "calm down",
		Args: json.RawMessage(`{"pattern":"4-7-8"}`), Outcome: memory.Pending,
		Scores: map[string]float64{"effectiveness": 0.75}, CreatedAt: now, ExpiresAt: now.Add(ttl),
		TraceID: "trace-1", CallID: "call-1", Embedding: vec, Embedder: "test/100d",
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "memory.db")
	c := newClock()
	now := c.Now()
	iv := intervention("alice", "iv-1", now, time.Hour)
	r := memory.Reflection{ID: "r-1", UserID: "alice", SessionID: "s1", Insight: "small steps", Summary: "ok",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	p := memory.Profile{UserID: "alice", Diagnosis: memory.DiagnosisADHD, DiagnosisSource: memory.SourceSelf,
		Preferences: map[string]string{"voice": "calm"}, CreatedAt: now, UpdatedAt: now}
	sess := memory.SessionState{UserID: "alice", SessionID: "s1", Task: "essay", Steps: []string{"open"},
		UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}

	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Now: c.Now})
	if err != nil {
		t.Fatalf("Open: got %v, want nil", err)
	}
	mustNil(t, "PutIntervention", s.PutIntervention(ctx, iv))
	mustNil(t, "PutReflection", s.PutReflection(ctx, r))
	mustNil(t, "PutProfile", s.PutProfile(ctx, p))
	sess, err = s.PutSession(ctx, sess)
	mustNil(t, "PutSession", err)
	mustNil(t, "Close", s.Close())

	s = open(t, path, sqlitestore.Options{Now: c.Now})
	gotIVs, err := s.GetInterventions(ctx, "alice", []string{iv.ID})
	check(t, "GetInterventions", err, gotIVs, []memory.Intervention{iv})
	gotRs, err := s.ListReflections(ctx, "alice", 0)
	check(t, "ListReflections", err, gotRs, []memory.Reflection{r})
	gotP, err := s.GetProfile(ctx, "alice")
	check(t, "GetProfile", err, gotP, p)
	gotS, err := s.GetSession(ctx, "alice", "s1")
	check(t, "GetSession", err, gotS, sess)
}

func mustNil(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: got %v, want nil", what, err)
	}
}

// check compares got with want field by field; the records are built in
// UTC, which is what the store returns, so DeepEqual applies.
func check(t *testing.T, what string, err error, got, want any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: got error %v, want nil", what, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\ngot  %+v\nwant %+v", what, got, want)
	}
}

func TestPurgeDeletesExpiredRows(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "memory.db")
	c := newClock()
	// The ticker never fires during the test: purges run when it asks.
	s := open(t, path, sqlitestore.Options{Now: c.Now, PurgeInterval: time.Hour})
	now := c.Now()
	const expiring = 2500 // more than one purge transaction deletes
	putMany(t, s, expiring, func(i int) memory.Intervention {
		return intervention(fmt.Sprintf("user-%d", i%3), fmt.Sprintf("short-%d", i), now, time.Minute)
	})
	lasting := intervention("user-0", "lasting", now, 24*time.Hour)
	mustNil(t, "PutIntervention", s.PutIntervention(ctx, lasting))
	for _, r := range []memory.Reflection{
		{ID: "r-short", UserID: "user-0", CreatedAt: now, ExpiresAt: now.Add(time.Minute)},
		{ID: "r-long", UserID: "user-0", CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)},
	} {
		mustNil(t, "PutReflection", s.PutReflection(ctx, r))
	}
	for id, ttl := range map[string]time.Duration{"s-short": time.Minute, "s-long": 24 * time.Hour} {
		_, err := s.PutSession(ctx, memory.SessionState{UserID: "user-0", SessionID: id, ExpiresAt: now.Add(ttl)})
		mustNil(t, "PutSession", err)
	}
	if got, err := s.Candidates(ctx, "user-0"); err != nil || len(got) != expiring/3+2 {
		t.Fatalf("Candidates before expiry: got %d, %v; want %d, nil", len(got), err, expiring/3+2)
	}

	c.Advance(time.Minute)
	n, err := sqlitestore.Purge(s)
	if want := expiring + 2; err != nil || n != want {
		t.Fatalf("Purge: got %d, %v; want %d, nil", n, err, want)
	}
	for table, want := range map[string]int{"interventions": 1, "reflections": 1, "sessions": 1} {
		if got := countRows(t, path, table); got != want {
			t.Errorf("rows in %s after the purge: got %d, want %d", table, got, want)
		}
	}
	got, err := s.Candidates(ctx, "user-0")
	if err != nil || len(got) != 1 || got[0].ID != lasting.ID {
		t.Errorf("Candidates after the purge: got %v, %v; want only %s", ids(got), err, lasting.ID)
	}
}

// putMany puts n interventions made by iv from 32 goroutines, the way a
// busy server does, which is also the fast way.
func putMany(t testing.TB, s memory.Store, n int, iv func(i int) memory.Intervention) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := range 32 {
		wg.Go(func() {
			for i := g; i < n; i += 32 {
				if err := s.PutIntervention(context.Background(), iv(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("PutIntervention: got %v, want nil", err)
	}
}

// countRows counts the rows of table in the file at path on a connection of
// its own, bypassing the store.
func countRows(t *testing.T, path, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatalf("count rows of %s: %v", table, err)
	}
	return n
}

func ids(cands []memory.Candidate) []string {
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.ID
	}
	return out
}

func TestCloseStopsPurgeGoroutine(t *testing.T) {
	s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "memory.db"),
		sqlitestore.Options{PurgeInterval: time.Nanosecond}) // purging all the time
	if err != nil {
		t.Fatalf("Open: got %v, want nil", err)
	}
	mustNil(t, "Close", s.Close())
	select {
	case <-sqlitestore.PurgeStopped(s):
	default:
		t.Error("the purge goroutine is still running after Close returned")
	}
	mustNil(t, "second Close", s.Close())
}

func TestCallsAfterCloseAreUnavailable(t *testing.T) {
	s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "memory.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatalf("Open: got %v, want nil", err)
	}
	mustNil(t, "Close", s.Close())
	for name, call := range calls(s) {
		if err := call(t.Context()); !steady.Is(err, steady.Unavailable) {
			t.Errorf("%s after Close: got %v, want code %q", name, err, steady.Unavailable)
		}
	}
}

// calls returns a call of every method of the Store but Close.
func calls(s memory.Store) map[string]func(context.Context) error {
	now := time.Now()
	iv := intervention("alice", "iv-1", now, time.Hour)
	return map[string]func(context.Context) error{
		"PutIntervention": func(ctx context.Context) error { return s.PutIntervention(ctx, iv) },
		"GetInterventions": func(ctx context.Context) error {
			_, err := s.GetInterventions(ctx, "alice", []string{"iv-1"})
			return err
		},
		"SetOutcome": func(ctx context.Context) error {
			_, err := s.SetOutcome(ctx, "alice", "iv-1", memory.TaskCompleted, nil)
			return err
		},
		"ListInterventions": func(ctx context.Context) error { _, _, err := s.ListInterventions(ctx, "alice", "", 10); return err },
		"Candidates":        func(ctx context.Context) error { _, err := s.Candidates(ctx, "alice"); return err },
		"PutReflection": func(ctx context.Context) error {
			return s.PutReflection(ctx, memory.Reflection{ID: "r", UserID: "alice", ExpiresAt: now.Add(time.Hour)})
		},
		"ListReflections": func(ctx context.Context) error { _, err := s.ListReflections(ctx, "alice", 0); return err },
		"GetProfile":      func(ctx context.Context) error { _, err := s.GetProfile(ctx, "alice"); return err },
		"PutProfile":      func(ctx context.Context) error { return s.PutProfile(ctx, memory.Profile{UserID: "alice"}) },
		"GetSession":      func(ctx context.Context) error { _, err := s.GetSession(ctx, "alice", "s1"); return err },
		"PutSession": func(ctx context.Context) error {
			_, err := s.PutSession(ctx, memory.SessionState{UserID: "alice", SessionID: "s2", ExpiresAt: now.Add(time.Hour)})
			return err
		},
		"Forget": func(ctx context.Context) error { _, err := s.Forget(ctx, "bob"); return err },
		"Totals": func(ctx context.Context) error { _, err := s.Totals(ctx); return err },
		"Ping":   func(ctx context.Context) error { return s.Ping(ctx) },
	}
}

func TestFileGoneIsUnavailable(t *testing.T) {
	for _, tt := range []struct {
		name string
		lose func(t *testing.T, dir, path string)
	}{
		{"directory removed", func(t *testing.T, dir, _ string) {
			mustNil(t, "RemoveAll", os.RemoveAll(dir))
		}},
		{"file replaced", func(t *testing.T, dir, path string) {
			other := filepath.Join(dir, "other.db")
			mustNil(t, "WriteFile", os.WriteFile(other, nil, 0o600))
			mustNil(t, "Rename", os.Rename(other, path))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			mustNil(t, "Mkdir", os.Mkdir(dir, 0o700))
			path := filepath.Join(dir, "memory.db")
			s := open(t, path, sqlitestore.Options{})
			// Warm the cache and the connections, so nothing is opened anew.
			mustNil(t, "PutIntervention", s.PutIntervention(t.Context(), intervention("alice", "warm", time.Now(), time.Hour)))
			if _, err := s.Candidates(t.Context(), "alice"); err != nil {
				t.Fatalf("Candidates: got %v, want nil", err)
			}
			tt.lose(t, dir, path)
			for name, call := range calls(s) {
				if err := call(t.Context()); !steady.Is(err, steady.Unavailable) {
					t.Errorf("%s: got %v, want code %q", name, err, steady.Unavailable)
				}
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.db")
	s := open(t, newer, sqlitestore.Options{})
	mustNil(t, "Close", s.Close())
	db, err := sql.Open("sqlite", newer)
	mustNil(t, "sql.Open", err)
	_, err = db.Exec(`PRAGMA user_version = 99`)
	mustNil(t, "set user_version", err)
	mustNil(t, "close db", db.Close())

	for _, tt := range []struct {
		name, path string
		code       steady.Code
	}{
		{"missing directory", filepath.Join(dir, "missing", "memory.db"), steady.Unavailable},
		{"schema of a newer version", newer, steady.Internal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlitestore.Open(t.Context(), tt.path, sqlitestore.Options{})
			if err == nil {
				s.Close()
			}
			if !steady.Is(err, tt.code) {
				t.Errorf("Open: got %v, want code %q", err, tt.code)
			}
		})
	}
}

func TestFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "memory.db")
	s := open(t, path, sqlitestore.Options{})
	mustNil(t, "PutProfile", s.PutProfile(t.Context(), memory.Profile{UserID: "alice"}))
	for _, name := range []string{path, path + "-wal"} {
		fi, err := os.Stat(name)
		mustNil(t, "Stat", err)
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s: got %v, want %v", filepath.Base(name), got, os.FileMode(0o600))
		}
	}
}

func TestDoneContextIsUnavailable(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "memory.db"), sqlitestore.Options{})
	if _, err := s.Candidates(t.Context(), "alice"); err != nil { // cached: no I/O needed
		t.Fatalf("Candidates: got %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for name, call := range calls(s) {
		err := call(ctx)
		if !steady.Is(err, steady.Unavailable) || !errors.Is(err, context.Canceled) {
			t.Errorf("%s: got %v, want code %q wrapping context.Canceled", name, err, steady.Unavailable)
		}
	}
}
