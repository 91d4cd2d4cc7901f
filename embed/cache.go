package embed

import (
	"container/list"
	"context"
	"sync"
)

// Cache is an Embedder that remembers the vectors of the most recently used
// texts, up to a fixed number, and asks the embedder underneath only for the
// others. People repeat themselves ("I can't focus"), and a remote embedder
// costs a network round trip and money per text.
type Cache struct {
	next Embedder
	max  int

	mu      sync.Mutex
	order   *list.List // front = most recently used; values are *cacheEntry
	entries map[string]*list.Element
	hits    uint64
	misses  uint64
}

type cacheEntry struct {
	text string
	vec  []float32
}

var _ Embedder = (*Cache)(nil)

// NewCache wraps next with an LRU cache of at most size texts. A size of 0
// or less returns a cache that keeps nothing.
func NewCache(next Embedder, size int) *Cache {
	return &Cache{next: next, max: max(size, 0), order: list.New(), entries: map[string]*list.Element{}}
}

// Name is the wrapped embedder's: caching does not change the vectors.
func (c *Cache) Name() string { return c.next.Name() }

// Dimensions is the wrapped embedder's.
func (c *Cache) Dimensions() int { return c.next.Dimensions() }

// CacheStats counts lookups since the cache was made.
type CacheStats struct {
	Hits, Misses uint64
	Len, Max     int
}

// Stats reports the cache's hits, misses and size.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits, Misses: c.misses, Len: c.order.Len(), Max: c.max}
}

// Embed implements Embedder. Texts missing from the cache, each once even if
// repeated in the batch, are embedded in one call to the wrapped embedder.
// The caller gets copies, so changing a returned vector never changes the
// cache.
func (c *Cache) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ValidateBatch(ctx, texts); err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	missing := c.fromCache(texts, out)
	if len(missing) == 0 {
		return out, nil
	}
	fresh := make([]string, 0, len(missing))
	for t := range missing {
		fresh = append(fresh, t)
	}
	vecs, err := c.next.Embed(ctx, fresh)
	if err != nil {
		return nil, err
	}
	c.store(fresh, vecs)
	for i, t := range fresh {
		for _, at := range missing[t] {
			out[at] = clone(vecs[i])
		}
	}
	return out, nil
}

// fromCache fills out from the cache and returns the positions of each text
// it does not hold.
func (c *Cache) fromCache(texts []string, out [][]float32) map[string][]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var missing map[string][]int
	for i, t := range texts {
		if el, ok := c.entries[t]; ok {
			c.order.MoveToFront(el)
			out[i] = clone(el.Value.(*cacheEntry).vec)
			c.hits++
			continue
		}
		if missing == nil {
			missing = map[string][]int{}
		}
		missing[t] = append(missing[t], i)
		c.misses++
	}
	return missing
}

func (c *Cache) store(texts []string, vecs [][]float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, t := range texts {
		if c.max == 0 {
			return
		}
		if el, ok := c.entries[t]; ok { // stored meanwhile by another call
			c.order.MoveToFront(el)
			continue
		}
		c.entries[t] = c.order.PushFront(&cacheEntry{text: t, vec: clone(vecs[i])})
		if c.order.Len() > c.max {
			oldest := c.order.Back()
			c.order.Remove(oldest)
			delete(c.entries, oldest.Value.(*cacheEntry).text)
		}
	}
}

func clone(v []float32) []float32 { return append([]float32(nil), v...) }
