// Package account keeps Steady's accounts: users with argon2id-hashed
// passwords, and the bearer tokens they sign in with (random, 256-bit,
// stored hashed, expiring), in an embedded SQLite file.
//
// One connection writes, behind a mutex, and a small pool of read-only
// connections authenticates tokens beside it, which WAL allows. Failed
// sign-ins are counted in memory: a restart forgets them, which costs an
// attacker a window at most, and saves a write per failed attempt.
package account

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/internal/sqlitedb"
)

// User is an account. A user's id is also their id in the memory layer.
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Operator  bool      `json:"operator,omitempty"` // may use the system-wide observability routes
	CreatedAt time.Time `json:"created_at"`
}

// Options tune a Store. The zero value is ready for production.
type Options struct {
	Now       func() time.Time // clock for tokens and login limits; default time.Now
	TokenTTL  time.Duration    // a token expires TokenTTL after it was issued; default 30 days
	Operators []string         // emails with the operator role, compared case-insensitively

	// At most AccountAttempts failed logins per account (email) and
	// AddrAttempts per client address within Window; further attempts
	// are RateLimited until the window has passed. Defaults 5, 20 and
	// 15 minutes.
	AccountAttempts, AddrAttempts int
	Window                        time.Duration

	// Argon sets the cost of new password hashes; zero fields take the
	// defaults. Hashes keep their own parameters, so raising these later
	// still verifies old hashes (and rehashes them at the next login).
	Argon ArgonParams
}

const (
	defaultTokenTTL        = 30 * 24 * time.Hour
	defaultAccountAttempts = 5
	defaultAddrAttempts    = 20
	defaultWindow          = 15 * time.Minute
)

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = defaultTokenTTL
	}
	if o.AccountAttempts <= 0 {
		o.AccountAttempts = defaultAccountAttempts
	}
	if o.AddrAttempts <= 0 {
		o.AddrAttempts = defaultAddrAttempts
	}
	if o.Window <= 0 {
		o.Window = defaultWindow
	}
	o.Argon = o.Argon.withDefaults()
	return o
}

// Store is the account store on one SQLite file. It is safe for
// concurrent use.
type Store struct {
	path      string
	opt       Options
	operators map[string]bool // normalized emails
	limits    limits
	// dummyHash is verified when a login names no account, so that an
	// unknown email costs as much time as a wrong password.
	dummyHash string

	wdb *sql.DB // the only writing connection
	rdb *sql.DB // read-only connections
	// wmu serialises this process's writers on wdb, so that they queue
	// here rather than in SQLite's busy handler.
	wmu sync.Mutex

	// gate is passed by every call and closed by Close, so Close waits for
	// calls in flight and later calls fail cleanly.
	gate      sqlitedb.Gate
	closeOnce sync.Once
	closeErr  error
}

// Open opens the account database at path, creating it (readable by its
// owner only) and bringing its schema up to date. The directory must exist.
// Invalid if opt.Argon is out of range.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	const op = "account.Open"
	opt = opt.withDefaults()
	if err := opt.Argon.validate(); err != nil {
		return nil, steady.Errorf(steady.Invalid, op, "Options.Argon: %v", err)
	}
	dummy, err := hashPassword(opt.Argon, "no account has this password")
	if err != nil {
		return nil, steady.Wrap(steady.Internal, op, err)
	}
	s := &Store{
		opt: opt, operators: emailSet(opt.Operators), dummyHash: dummy,
		limits: newLimits(opt.AccountAttempts, opt.AddrAttempts, opt.Window),
	}
	if err := s.openDBs(ctx, path); err != nil {
		return nil, classify(op, err)
	}
	return s, nil
}

// emailSet normalizes emails the way Register does, for lookups.
func emailSet(emails []string) map[string]bool {
	set := make(map[string]bool, len(emails))
	for _, e := range emails {
		set[normalizeEmail(e)] = true
	}
	return set
}

// String names the store by its file; it never shows what the store holds.
func (s *Store) String() string { return "account.Store(" + s.path + ")" }

// GoString keeps %#v from printing the store's fields.
func (s *Store) GoString() string { return s.String() }

// Close waits for the calls in flight and closes the database. Later
// calls fail as Unavailable. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.gate.Close()
		s.closeErr = classify("account.Close", errors.Join(s.rdb.Close(), s.wdb.Close()))
	})
	return s.closeErr
}

// userWith fills in what is derived rather than stored.
func (s *Store) userWith(u User) User {
	u.Operator = s.operators[strings.ToLower(u.Email)]
	return u
}
