package sqlitestore

import (
	"container/list"
	"slices"
	"sync"
	"time"

	"github.com/steady-voice/steady/memory"
)

// cache keeps the candidates of the users searched most recently. It is
// filled by the first search of a user and kept exact by every write of the
// Store, applied by the writer goroutine after the write's commit and
// before its caller is answered.
//
// A load races with the writes committed while it runs. A write whose
// cache update comes after the load is cached is the one case where the
// load may already hold the write's row: commits counts the groups the
// writer has begun to commit, and an entry filled during the current one
// checks before appending.
//
// An entry's slice is shared with the readers it was handed to, so it is
// changed in only two ways: by appending, which writes past the end every
// reader sees, and by replacing it with a new slice. A reader can therefore
// copy its slice after letting go of the lock.
type cache struct {
	max     int // users; 0 keeps nothing
	mu      sync.Mutex
	lru     *list.List // front = most recently used; values are *entry
	users   map[string]*list.Element
	commits uint64
}

type entry struct {
	user     string
	cands    []memory.Candidate
	filled   bool   // false while a reader loads it from SQLite
	filledAt uint64 // commits when filled
}

func newCache(users int) *cache {
	return &cache{max: max(users, 0), lru: list.New(), users: map[string]*list.Element{}}
}

// get returns the user's cached candidates, if any.
func (c *cache) get(user string) ([]memory.Candidate, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.users[user]
	if !ok || !el.Value.(*entry).filled {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*entry).cands, true
}

// reserve marks user as being loaded and returns the mark to pass to fill.
// A write to the user in the meantime removes the mark, so a load that may
// have missed the write is never cached.
func (c *cache) reserve(user string) *entry {
	if c.max == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove(user)
	e := &entry{user: user}
	c.users[user] = c.lru.PushFront(e)
	if c.lru.Len() > c.max {
		c.remove(c.lru.Back().Value.(*entry).user)
	}
	return e
}

// fill caches cands, loaded after reserve returned e, unless a write or a
// newer load has come between.
func (c *cache) fill(e *entry, cands []memory.Candidate) {
	if e == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.users[e.user]; ok && el.Value == e {
		e.cands, e.filled, e.filledAt = cands, true, c.commits
	}
}

// committing is called by the writer just before each COMMIT, which makes
// the group's rows visible to loads; the group's cache updates follow.
func (c *cache) committing() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commits++
}

// add appends a new candidate of user.
func (c *cache) add(user string, cand memory.Candidate) {
	c.update(user, func(e *entry) []memory.Candidate {
		if e.filledAt == c.commits && slices.ContainsFunc(e.cands, hasID(cand.ID)) {
			return e.cands // loaded after this write's commit
		}
		return append(e.cands, cand)
	})
}

// replace puts cand in place of the candidate of user with its id.
func (c *cache) replace(user string, cand memory.Candidate) {
	c.update(user, func(e *entry) []memory.Candidate {
		i := slices.IndexFunc(e.cands, hasID(cand.ID))
		if i < 0 { // not cached: it was loaded expired, or by a bug
			return nil
		}
		next := slices.Clone(e.cands)
		next[i] = cand
		return next
	})
}

// update sets the user's candidates to f of them, or drops the user if f
// returns nil. A user being loaded is dropped: the load may predate the
// write.
func (c *cache) update(user string, f func(*entry) []memory.Candidate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.users[user]
	if !ok {
		return
	}
	e := el.Value.(*entry)
	if !e.filled {
		c.remove(user)
		return
	}
	if e.cands = f(e); e.cands == nil {
		c.remove(user)
	}
}

// drop forgets the user's candidates.
func (c *cache) drop(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove(user)
}

// dropExpired removes the candidates that expire at or before cutoff, after
// a purge deleted their rows, and every load in progress.
func (c *cache) dropExpired(cutoff time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, el := range c.users {
		e := el.Value.(*entry)
		if !e.filled {
			c.remove(e.user)
			continue
		}
		expired := func(x memory.Candidate) bool { return !cutoff.Before(x.ExpiresAt) }
		if slices.ContainsFunc(e.cands, expired) {
			e.cands = slices.DeleteFunc(slices.Clone(e.cands), expired)
		}
	}
}

func hasID(id string) func(memory.Candidate) bool {
	return func(x memory.Candidate) bool { return x.ID == id }
}

func (c *cache) remove(user string) {
	if el, ok := c.users[user]; ok {
		c.lru.Remove(el)
		delete(c.users, user)
	}
}
