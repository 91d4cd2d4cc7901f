package redisstore

import (
	"container/list"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/redis/rueidis"

	"github.com/steady-voice/steady/memory"
)

// Candidates is the hot path of every search, served from rueidis's
// client-side cache (RESP3 tracking): a repeated call over an unchanged
// memory sends nothing to Redis, and a write invalidates only what it
// changed.
//
// What it reads is a user's candidates in blocks: hashes of id → candidate,
// filled in creation order up to blockCapacity, listed with their expiry in
// the small zset hd. A call is one DoCache of hd and one DoMultiCache of
// HVALS over the live blocks. A write invalidates the one block it touched
// (and hd when a block starts or its expiry moves to a later hour).
//
// Why blocks and not one cached key per record: DoMultiCache costs about
// 200 ns per key even when every key hits (a lookup under a lock, a command
// built per key), so 10,000 per-record keys cost 2 ms before any vector is
// compared (BenchmarkDoMultiCachePerKey), twice the budget of a search;
// ~310 blocks cost about 60 µs. Blocks in creation order also suit
// the TTLs: records expire in about the order they were made, so whole
// blocks die at once.
//
// Decoding 10,000 vectors on every call would cost more than comparing
// them, so the store keeps (in memo) each block decoded, with the strings it
// was decoded from, and each user's last result. The cache hands back the
// very same strings while a block is unchanged, so checking a block is a
// pointer comparison per entry (== on strings that share their bytes does
// not read them); a block refetched after a write differs and is decoded
// again. The contract lets the result be shared, read-only: while no block
// changed and no candidate expired, a call returns the same slice.
//
// Two things spare an agent's turn what its previous turn's write
// invalidated. CandidateBlocks hands search the decoded blocks themselves,
// so a changed block does not mean copying every candidate into a new
// slice; and a write re-reads, for a user searched here, the block it
// changed and the records and session state the next turn reads (see
// rewarm), in the background where the agent's recorder writes.

// Blocks hold about this many bytes of candidates, within these many
// entries: a write makes the next Candidates refetch at most 64 KB, and
// 10,000 candidates of 100 dimensions fill ~310 blocks. In an agent every
// turn that uses a tool writes, so the newest block is refetched after
// every turn (by the next search, before rewarm did it in the write):
// 32-entry blocks instead of 128 took the offline turn's p99
// from 3.38 to 2.61 ms (BenchmarkOfflineTurn/redis/paced, medians of 4,
// 1,000 interventions), for 15% more on a search of an unchanged memory
// (BenchmarkCandidates: 41 → 47 µs at 1k, 0.40 → 0.46 ms at 10k).
const (
	blockBytes      = 64 << 10
	minBlockEntries = 16
	maxBlockEntries = 32
	memoBytes       = 256 << 20 // decoded blocks and results kept across users
)

// blockCapacity is how many candidates whose head is headLen bytes one
// block takes.
func blockCapacity(headLen int) int {
	return min(max(blockBytes/(headLen+64), minBlockEntries), maxBlockEntries)
}

// Candidates returns the user's live interventions in the form search ranks
// on: a slice shared with the store's memo, read-only, as the contract
// allows.
func (s *Store) Candidates(ctx context.Context, userID string) ([]memory.Candidate, error) {
	k, now := s.keys(userID), s.opt.Now()
	blocks, err := s.userBlocks(ctx, "redisstore.Candidates", k, now)
	if err != nil {
		return nil, err
	}
	if len(blocks) == 0 {
		return []memory.Candidate{}, nil
	}
	if v := s.memo.view(k.up); v != nil && v.cands != nil && v.valid(blocks, now) {
		return v.cands, nil
	}
	v := newView(k.up, blocks, now)
	s.memo.put(v)
	return v.cands, nil
}

// CandidateBlocks returns what Candidates does, in the blocks the store
// keeps the candidates in: memory's search ranks them where they lie,
// where Candidates must copy them all into one slice whenever a block
// changed — which, in an agent, is after every turn's write (~170 KB at
// 1,000 interventions). The slices are shared and read-only, like
// Candidates'.
func (s *Store) CandidateBlocks(ctx context.Context, userID string) ([][]memory.Candidate, error) {
	k, now := s.keys(userID), s.opt.Now()
	blocks, err := s.userBlocks(ctx, "redisstore.CandidateBlocks", k, now)
	if err != nil {
		return nil, err
	}
	s.remember(k, blocks)
	out := make([][]memory.Candidate, 0, len(blocks))
	for _, b := range blocks {
		if live := b.live(now); len(live) > 0 {
			out = append(out, live)
		}
	}
	return out, nil
}

// userBlocks reads the user's live blocks through the cache, decoded.
func (s *Store) userBlocks(ctx context.Context, op string, k keys, now time.Time) ([]*block, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	keys, err := s.liveBlocks(ctx, k, now)
	if err != nil || len(keys) == 0 {
		return nil, s.fail(op, err)
	}
	blocks, err := s.readBlocks(ctx, keys)
	return blocks, s.fail(op, err)
}

// remember keeps the user's blocks as their view, which marks the user as
// one whose candidates are read here (see rewarm); the candidates are only
// joined into one slice if Candidates asks for them.
func (s *Store) remember(k keys, blocks []*block) {
	if v := s.memo.view(k.up); v == nil || !slices.Equal(v.blocks, blocks) {
		s.memo.put(&view{key: "view:" + k.up, blocks: blocks})
	}
}

// liveBlocks reads hd through the cache and returns the keys of the blocks
// whose latest member may still be live.
func (s *Store) liveBlocks(ctx context.Context, k keys, now time.Time) ([]string, error) {
	hd, err := s.c.DoCache(ctx, s.cachedHd(k), s.opt.CacheTTL).AsZScores()
	if err != nil {
		return nil, err
	}
	nowMS := float64(now.UnixMilli())
	out := make([]string, 0, len(hd))
	for _, z := range hd {
		if z.Score > nowMS {
			out = append(out, k.block(z.Member))
		}
	}
	return out, nil
}

// readBlocks reads the blocks through the cache and returns them decoded.
func (s *Store) readBlocks(ctx context.Context, keys []string) ([]*block, error) {
	multi := make([]rueidis.CacheableTTL, len(keys))
	for i, key := range keys {
		multi[i] = s.cachedBlock(key)
	}
	blocks := make([]*block, len(keys))
	for i, r := range s.c.DoMultiCache(ctx, multi...) {
		var err error
		if blocks[i], err = s.blockFrom(keys[i], r); err != nil {
			return nil, err
		}
	}
	return blocks, nil
}

// cachedHd is the cached read of the user's list of blocks.
func (s *Store) cachedHd(k keys) rueidis.Cacheable {
	return s.c.B().Zrange().Key(k.hd()).Min("0").Max("-1").Withscores().Cache()
}

func (s *Store) cachedBlock(key string) rueidis.CacheableTTL {
	return rueidis.CT(s.c.B().Hvals().Key(key).Cache(), s.opt.CacheTTL)
}

// blockFrom returns the block key read as r: the memo's while r holds the
// values it was decoded from.
func (s *Store) blockFrom(key string, r rueidis.RedisResult) (*block, error) {
	vals, err := r.ToArray()
	if err != nil {
		return nil, err
	}
	old := s.memo.block(key)
	if old != nil && old.same(vals) {
		return old, nil
	}
	b, err := decodeBlock(key, vals, old)
	if err == nil {
		s.memo.put(b)
	}
	return b, err
}

// block is one block's candidates, decoded from raw, the values the
// client-side cache held. Immutable once made.
type block struct {
	key   string
	raw   []string
	cands []memory.Candidate
	until time.Time // the earliest ExpiresAt in cands
	bytes int
}

// live returns the candidates of b that are live at now: all of them but
// in the few blocks where the oldest records are expiring.
func (b *block) live(now time.Time) []memory.Candidate {
	if now.Before(b.until) {
		return b.cands
	}
	out := make([]memory.Candidate, 0, len(b.cands))
	for _, c := range b.cands {
		if now.Before(c.ExpiresAt) {
			out = append(out, c)
		}
	}
	return out
}

// same reports whether vals are the values b was decoded from: the same
// strings while the block stays cached, equal ones if it was refetched
// unchanged.
func (b *block) same(vals []rueidis.RedisMessage) bool {
	if len(vals) != len(b.raw) {
		return false
	}
	for i := range vals {
		if v, _ := vals[i].ToString(); v != b.raw[i] {
			return false
		}
	}
	return true
}

// decodeBlock decodes the values of block key. Entries that old, the
// block's previous version, holds unchanged keep its vectors and scores: a
// write changes one entry of a block, and the others need no decoding.
func decodeBlock(key string, vals []rueidis.RedisMessage, old *block) (*block, error) {
	b := &block{key: key, raw: make([]string, len(vals)), cands: make([]memory.Candidate, len(vals))}
	for i := range vals {
		v, err := vals[i].ToString()
		c, ok := decodeEntry(v, old.find(v, i))
		if err != nil || !ok {
			return nil, errCorrupt
		}
		b.raw[i], b.cands[i] = v, c
		b.bytes += len(v) + 4*len(c.Vector) + 256
		if i == 0 || c.ExpiresAt.Before(b.until) {
			b.until = c.ExpiresAt
		}
	}
	return b, nil
}

// find returns b's candidate decoded from an entry equal to v, or nil; b
// may be nil. Near i is looked at first, as a cheap guess at where a hash
// changed by one write lists its other values; the scan is the fallback.
func (b *block) find(v string, i int) *memory.Candidate {
	if b == nil {
		return nil
	}
	for _, j := range [...]int{i, i - 1, i + 1} {
		if j >= 0 && j < len(b.raw) && b.raw[j] == v {
			return &b.cands[j]
		}
	}
	for j := range b.raw {
		if b.raw[j] == v {
			return &b.cands[j]
		}
	}
	return nil
}

// view is a user's last Candidates result: the live candidates of blocks
// at the time it was made. It stays right until a block changes or the
// first of its candidates expires. CandidateBlocks keeps views without
// cands, for the blocks alone (see remember).
type view struct {
	key    string
	blocks []*block
	cands  []memory.Candidate
	until  time.Time // the earliest ExpiresAt in cands
}

func newView(key string, blocks []*block, now time.Time) *view {
	n := 0
	for _, b := range blocks {
		n += len(b.cands)
	}
	v := &view{key: "view:" + key, blocks: blocks, cands: make([]memory.Candidate, 0, n)}
	for _, b := range blocks {
		for _, c := range b.cands {
			if !now.Before(c.ExpiresAt) {
				continue
			}
			if len(v.cands) == 0 || c.ExpiresAt.Before(v.until) {
				v.until = c.ExpiresAt
			}
			v.cands = append(v.cands, c)
		}
	}
	return v
}

func (v *view) valid(blocks []*block, now time.Time) bool {
	return (len(v.cands) == 0 || now.Before(v.until)) && slices.Equal(v.blocks, blocks)
}

func (v *view) size() int { return 64*len(v.blocks) + 176*cap(v.cands) }

func (b *block) size() int { return b.bytes }

// docEntry is the JSON part of an intervention's hash (see doc), decoded
// from raw; the fields it leaves out (embedding, args, outcome, scores)
// are zero. Immutable once made.
type docEntry struct {
	key, raw string
	iv       memory.Intervention
}

func (d *docEntry) size() int { return 2*len(d.raw) + 256 }

// memo keeps decoded blocks, views and docs, least recently used first out,
// within a budget of bytes.
type memo struct {
	mu    sync.Mutex
	max   int
	used  int
	order *list.List // of memoEntry, most recently used at the front
	byKey map[string]*list.Element
}

type memoEntry interface{ size() int }

func newMemo(maxBytes int) *memo {
	return &memo{max: maxBytes, order: list.New(), byKey: map[string]*list.Element{}}
}

func (m *memo) block(key string) *block {
	b, _ := m.get(key).(*block)
	return b
}

func (m *memo) doc(key string) *docEntry {
	d, _ := m.get(key).(*docEntry)
	return d
}

func (m *memo) view(userPrefix string) *view {
	v, _ := m.get("view:" + userPrefix).(*view)
	return v
}

func (m *memo) get(key string) memoEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.byKey[key]
	if !ok {
		return nil
	}
	m.order.MoveToFront(e)
	return e.Value.(memoEntry)
}

func (m *memo) put(x memoEntry) {
	key := entryKey(x)
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.byKey[key]; ok {
		m.used -= e.Value.(memoEntry).size()
		m.order.Remove(e)
	}
	m.byKey[key] = m.order.PushFront(x)
	m.used += x.size()
	for m.used > m.max && m.order.Len() > 1 {
		old := m.order.Remove(m.order.Back()).(memoEntry)
		delete(m.byKey, entryKey(old))
		m.used -= old.size()
	}
}

func entryKey(x memoEntry) string {
	switch x := x.(type) {
	case *block:
		return x.key
	case *view:
		return x.key
	case *docEntry:
		return x.key
	}
	panic("redisstore: unknown memo entry")
}
