package account_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/server/account"
)

// fastArgon keeps tests quick; the benchmark measures the defaults.
var fastArgon = account.ArgonParams{Time: 1, Memory: 64, Threads: 1}

// openStore opens a store on a new file, with fast hashing unless opt sets
// its own, and closes it when the test ends. It returns the file's path.
func openStore(t testing.TB, opt account.Options) (*account.Store, string) {
	t.Helper()
	if opt.Argon == (account.ArgonParams{}) {
		opt.Argon = fastArgon
	}
	path := filepath.Join(t.TempDir(), "accounts.db")
	s, err := account.Open(context.Background(), path, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// register registers an account or fails the test.
func register(t testing.TB, s *account.Store, name, email, password string) (account.User, string) {
	t.Helper()
	u, token, err := s.Register(context.Background(), name, email, password)
	if err != nil {
		t.Fatalf("Register(%q, %q): %v", name, email, err)
	}
	return u, token
}

// wantCode fails the test unless err has code and, if msg is not empty,
// its text contains msg.
func wantCode(t testing.TB, what string, err error, code steady.Code, msg string) {
	t.Helper()
	if got := steady.ErrorCode(err); got != code {
		t.Fatalf("%s: got code %q (%v), want %q", what, got, err, code)
	}
	if msg != "" && !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: got %q, want it to contain %q", what, err, msg)
	}
}

// rawDB opens the store's file directly, as someone holding a copy would.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// clock is a settable Now for Options, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
