// Package redisstore is a memory.Store on Redis (≥ 7.0), Valkey or Redis
// Cluster, with no modules, through rueidis.
//
// # Key layout
//
// Every key of one user carries the hash tag {u:<base64url of the user id>},
// so whatever bytes a user id holds it can neither leave its key space nor
// meet another user's, and all of a user's keys live in one cluster slot:
// the Lua scripts that write them stay atomic on a cluster. With P the
// prefix and T the tag:
//
//	P:T:iv:<id>  hash    one intervention: c (candidate head: ids, times,
//	                     vector), j (the rest, JSON), a (args), o (outcome),
//	                     s:<name> (one score each), x (expiry, ms), m (its
//	                     ivx member); PEXPIREAT at ExpiresAt
//	P:T:ivt      zset    intervention ids newest first: lexical members
//	                     <created, 16 hex><id>, all scored 0
//	P:T:ivx      zset    <block, 8 hex><ivt member> scored by expiry (ms),
//	                     so pruning finds all that a dead record left behind
//	P:T:b:<n>    hash    block n: id → candidate (c + outcome + scores), the
//	                     form Candidates reads; see candidates.go
//	P:T:hd       zset    the live blocks, scored by their expiry
//	P:T:meta     hash    cur: the block new interventions go to, n: how
//	                     many went into it, at: its expiry
//	P:T:rf:<id>  hash    one reflection: d (JSON), x, m; PEXPIREAT
//	P:T:rft      zset    reflection ids newest first, like ivt
//	P:T:rfx      zset    rft members scored by expiry
//	P:T:ss:<sid> hash    one session: d (JSON), v (version), x; PEXPIREAT
//	P:T:ssx      zset    session ids scored by expiry
//	P:T:pf       string  the profile (JSON), no expiry
//	P:users      set     every user id with records, for Totals; the one key
//	                     outside the users' slots
//
// Index keys are pruned of dead members on every write of their kind (by
// the server's clock, so an index entry goes only once its record is gone
// natively) and expire themselves, rounded up to the hour, after their
// latest member: no index grows without bound, and Forget finds every key
// of a user without SCAN.
package redisstore

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// Options configures a Store. Zero values take the defaults.
type Options struct {
	Now      func() time.Time // clock for judging expiry on reads; default time.Now
	Prefix   string           // key prefix, default "steady"; no '{' or '}'
	CacheTTL time.Duration    // client-side cache TTL for DoCache; default 1 hour
	Timeout  time.Duration    // bound on dialling and on every call; default 2s
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Prefix == "" {
		o.Prefix = "steady"
	}
	if o.CacheTTL <= 0 {
		// The server invalidates cached keys when they change; the TTL only
		// bounds how long an entry outlives a lost invalidation.
		o.CacheTTL = time.Hour
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	return o
}

// validPrefix refuses braces: Redis takes the first {…} of a key as its hash
// tag, and a brace in the prefix would put every user in one slot, or split
// one user's keys across slots.
func validPrefix(p string) bool { return !strings.ContainsAny(p, "{}") }

// Store is a memory.Store on Redis. It is safe for concurrent use.
type Store struct {
	c     rueidis.Client
	opt   Options
	owned bool // Close closes c only if Open made it
	users string
	memo  *memo
}

var _ memory.Store = (*Store)(nil)

// Open connects to url — redis://, rediss:// (TLS), or a cluster node's URL
// (more nodes as ?addr=host:port) — and pings once. Unavailable if the
// server cannot be reached within opt.Timeout.
func Open(ctx context.Context, url string, opt Options) (*Store, error) {
	const op = "redisstore.Open"
	opt = opt.withDefaults()
	if !validPrefix(opt.Prefix) {
		return nil, steady.Errorf(steady.Invalid, op, "prefix %q holds a brace", opt.Prefix)
	}
	co, err := rueidis.ParseURL(url)
	if err != nil {
		return nil, steady.Errorf(steady.Invalid, op, "redis url: %w", err)
	}
	if co.Dialer.Timeout == 0 {
		co.Dialer.Timeout = opt.Timeout
	}
	// Without it a dead server is only noticed after the TCP keep-alive
	// probes, about ten seconds on Linux.
	co.ConnWriteTimeout = opt.Timeout
	// One connection per node. rueidis sends cached reads down the
	// connection of their slot, but other commands down a random one of
	// the node's connections; with one, a write, the invalidations it
	// causes and the next cached read travel in order, which is what lets
	// the store read its own writes from the cache (see call in scripts.go).
	// A single auto-pipelined connection is not the bottleneck: Redis's one
	// thread is (BenchmarkPutIntervention).
	co.PipelineMultiplex = -1
	c, err := rueidis.NewClient(co)
	if err != nil {
		return nil, steady.Wrap(steady.Unavailable, op, err)
	}
	s := New(c, opt)
	s.owned = true
	if err := s.Ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

// New returns a Store on a client the caller owns and closes. It panics if
// opt.Prefix holds a brace. Reads of Candidates go through the client's
// client-side cache unless it was built with DisableCache. For Candidates to
// show this process's writes at once, the client must have one connection
// per node (ClientOption.PipelineMultiplex -1), as Open's has; with more, a
// write may be seen a moment late, once its invalidation arrives.
func New(client rueidis.Client, opt Options) *Store {
	opt = opt.withDefaults()
	if !validPrefix(opt.Prefix) {
		panic("redisstore: prefix " + opt.Prefix + " holds a brace")
	}
	return &Store{c: client, opt: opt, users: opt.Prefix + ":users", memo: newMemo(memoBytes)}
}

// Ping checks that Redis answers; Unavailable if not.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.fail("redisstore.Ping", s.c.Do(ctx, s.c.B().Ping().Build()).Error())
}

// Close closes the client if Open made it; a client given to New is the
// caller's to close.
func (s *Store) Close() error {
	if s.owned {
		s.c.Close()
	}
	return nil
}

// bound gives every call the store's timeout, so an unreachable server is
// reported as Unavailable instead of hanging the caller.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opt.Timeout)
}

// fail turns an error into a *steady.Error: a record that does not decode,
// or an error from Redis itself, is Internal (a bug here) unless Redis says
// it is not serving yet; everything else (dial, timeouts, a closed client)
// is Unavailable.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if re, ok := rueidis.IsRedisErr(err); errors.Is(err, errCorrupt) || ok && !transient(re) {
		return steady.Wrap(steady.Internal, op, err)
	}
	return steady.Wrap(steady.Unavailable, op, err)
}

// transient reports Redis errors that mean "not now" rather than "wrong":
// a cluster resharding or failing over, a server loading or busy.
func transient(re *rueidis.RedisError) bool {
	msg := re.Error()
	for _, p := range []string{"TRYAGAIN", "CLUSTERDOWN", "MOVED", "ASK", "LOADING", "BUSY ", "MASTERDOWN", "READONLY", "NOREPLICAS"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// notFound reports a nil reply; anything else is a failure of the call.
func notFound(err error) bool { return rueidis.IsRedisNil(err) }

var errCorrupt = errors.New("redisstore: malformed record")

// keys names one user's keys. See the package comment for the layout.
type keys struct {
	up string // "P:{u:<enc>}:", the part every key of the user starts with
}

func (s *Store) keys(userID string) keys {
	return keys{up: s.opt.Prefix + ":{u:" + base64.RawURLEncoding.EncodeToString([]byte(userID)) + "}:"}
}

func (k keys) iv(id string) string   { return k.up + "iv:" + id }
func (k keys) rf(id string) string   { return k.up + "rf:" + id }
func (k keys) ss(sid string) string  { return k.up + "ss:" + sid }
func (k keys) block(n string) string { return k.up + "b:" + n }
func (k keys) ivt() string           { return k.up + "ivt" }
func (k keys) ivx() string           { return k.up + "ivx" }
func (k keys) hd() string            { return k.up + "hd" }
func (k keys) meta() string          { return k.up + "meta" }
func (k keys) rft() string           { return k.up + "rft" }
func (k keys) rfx() string           { return k.up + "rfx" }
func (k keys) ssx() string           { return k.up + "ssx" }
func (k keys) pf() string            { return k.up + "pf" }
