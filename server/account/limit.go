package account

import (
	"container/list"
	"fmt"
	"sync"
	"time"

	"github.com/steady-voice/steady"
)

// maxLimitKeys bounds the keys a limiter remembers. Beyond it the key
// whose last failure is oldest is forgotten, so a flood of distinct emails
// or addresses costs memory only up to the bound; to push out a targeted
// account's failures an attacker would need this many keys, which the
// per-address limit makes slow.
const maxLimitKeys = 100_000

// limiter counts failed attempts per key in a sliding window: a key is
// refused once it has limit failures younger than window, until the
// oldest of them ages out. An attempt is counted when it starts (take)
// and refunded if it turns out not to be a failure, so that concurrent
// attempts cannot all pass the check before any has failed.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	max    int
	keys   map[string]*list.Element // of *attempts
	order  *list.List               // front: the key that failed last
}

type attempts struct {
	key   string
	times []int64 // Unix nanoseconds, oldest first, at most limit
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, max: maxLimitKeys,
		keys: make(map[string]*list.Element), order: list.New()}
}

// take counts an attempt for key at now, or, if key is at its limit,
// returns how long until it may try again.
func (l *limiter) take(key string, now time.Time) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e == nil {
		e = l.order.PushFront(&attempts{key: key})
		l.keys[key] = e
		l.evict()
	}
	a := e.Value.(*attempts)
	a.prune(now.Add(-l.window).UnixNano())
	if len(a.times) >= l.limit {
		return time.Unix(0, a.times[0]).Add(l.window).Sub(now), false
	}
	a.times = append(a.times, now.UnixNano())
	l.order.MoveToFront(e)
	return 0, true
}

// prune drops the attempts at or before cutoff.
func (a *attempts) prune(cutoff int64) {
	i := 0
	for i < len(a.times) && a.times[i] <= cutoff {
		i++
	}
	a.times = a.times[i:]
}

// refund uncounts the attempt that take counted for key at at.
func (l *limiter) refund(key string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e == nil {
		return
	}
	a := e.Value.(*attempts)
	for i := len(a.times) - 1; i >= 0; i-- {
		if a.times[i] == at.UnixNano() {
			a.times = append(a.times[:i], a.times[i+1:]...)
			break
		}
	}
	if len(a.times) == 0 {
		l.remove(e)
	}
}

// reset forgets key's failures.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.keys[key]; e != nil {
		l.remove(e)
	}
}

func (l *limiter) remove(e *list.Element) {
	delete(l.keys, e.Value.(*attempts).key)
	l.order.Remove(e)
}

// evict forgets the keys that failed longest ago, beyond max.
func (l *limiter) evict() {
	for l.order.Len() > l.max {
		l.remove(l.order.Back())
	}
}

// limits are the two login limits: per account and per address.
type limits struct{ account, addr *limiter }

func newLimits(accountAttempts, addrAttempts int, window time.Duration) limits {
	return limits{newLimiter(accountAttempts, window), newLimiter(addrAttempts, window)}
}

// take counts a login attempt against both limits, or returns a
// RateLimited error and counts it against neither.
func (l limits) take(op, email, addr string, now time.Time) error {
	wait, ok := l.account.take(email, now)
	if ok {
		if wait, ok = l.addr.take(addr, now); !ok {
			l.account.refund(email, now)
		}
	}
	if !ok {
		return steady.Errorf(steady.RateLimited, op, "too many sign-in attempts; try again in %s", minutes(wait))
	}
	return nil
}

// succeeded clears the account's failures, and uncounts this attempt from
// the address without clearing its earlier failures: knowing one password
// must not reset a guesser's count against other accounts.
func (l limits) succeeded(email, addr string, at time.Time) {
	l.account.reset(email)
	l.addr.refund(addr, at)
}

// neither uncounts an attempt that failed for a reason other than a wrong
// password, such as an unreachable database.
func (l limits) neither(email, addr string, at time.Time) {
	l.account.refund(email, at)
	l.addr.refund(addr, at)
}

// minutes spells d rounded up to whole minutes, at least one.
func minutes(d time.Duration) string {
	n := max(int((d+time.Minute-1)/time.Minute), 1)
	if n == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}
