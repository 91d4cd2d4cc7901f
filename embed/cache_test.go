package embed_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/steady-voice/steady/embed"
)

// counting wraps a real embedder and records what it is asked to embed.
type counting struct {
	embed.Embedder
	mu    sync.Mutex
	calls [][]string
	fail  error
}

func (c *counting) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.mu.Lock()
	c.calls = append(c.calls, slices.Clone(texts))
	fail := c.fail
	c.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	return c.Embedder.Embed(ctx, texts)
}

func (c *counting) embedded() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var all []string
	for _, call := range c.calls {
		all = append(all, call...)
	}
	return all
}

func newCounting(t *testing.T) *counting { return &counting{Embedder: glove(t)} }

func TestCacheServesRepeatsWithoutTheEmbedder(t *testing.T) {
	inner := newCounting(t)
	c := embed.NewCache(inner, 10)
	ctx := context.Background()
	first, err := c.Embed(ctx, []string{"I can't focus", "so tired", "I can't focus"})
	if err != nil {
		t.Fatal(err)
	}
	if got := inner.embedded(); len(got) != 2 {
		t.Errorf("embedder saw %q, want each distinct text once", got)
	}
	second, err := c.Embed(ctx, []string{"so tired", "I can't focus"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(inner.calls); got != 1 {
		t.Errorf("embedder called %d times, want 1 (second call served from cache)", got)
	}
	if embed.Cosine(first[0], second[1]) < 0.9999 || embed.Cosine(first[1], second[0]) < 0.9999 {
		t.Error("cached vectors differ from the originals")
	}
	if got, want := c.Stats(), (embed.CacheStats{Hits: 2, Misses: 3, Len: 2, Max: 10}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if c.Name() != inner.Name() || c.Dimensions() != inner.Dimensions() {
		t.Error("the cache changed the embedder's name or dimensions")
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	inner := newCounting(t)
	c := embed.NewCache(inner, 2)
	ctx := context.Background()
	for _, batch := range [][]string{{"alpha"}, {"beta"}, {"alpha"}, {"gamma"}, {"alpha"}, {"beta"}} {
		if _, err := c.Embed(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	// alpha was used before gamma arrived, so beta was the one evicted.
	want := []string{"alpha", "beta", "gamma", "beta"}
	if got := inner.embedded(); !slices.Equal(got, want) {
		t.Errorf("embedder saw %q, want %q", got, want)
	}
	if got := c.Stats().Len; got != 2 {
		t.Errorf("Len = %d, want 2", got)
	}
}

func TestCacheReturnsCopies(t *testing.T) {
	c := embed.NewCache(newCounting(t), 4)
	ctx := context.Background()
	v1, _ := c.Embed(ctx, []string{"calm"})
	want := slices.Clone(v1[0])
	v1[0][0] = 99
	v2, _ := c.Embed(ctx, []string{"calm"})
	if !slices.Equal(v2[0], want) {
		t.Error("changing a returned vector changed the cached one")
	}
}

func TestCacheDoesNotStoreFailures(t *testing.T) {
	inner := newCounting(t)
	inner.fail = errors.New("server down")
	c := embed.NewCache(inner, 4)
	if _, err := c.Embed(context.Background(), []string{"hello"}); err == nil || err.Error() != "server down" {
		t.Fatalf("err = %v, want the embedder's error", err)
	}
	if got := c.Stats().Len; got != 0 {
		t.Errorf("Len = %d after a failure, want 0", got)
	}
}

func TestCacheValidatesBeforeLookup(t *testing.T) {
	inner := newCounting(t)
	c := embed.NewCache(inner, 4)
	if _, err := c.Embed(context.Background(), []string{"ok", " "}); !errors.Is(err, embed.ErrEmptyText) {
		t.Errorf("err = %v, want ErrEmptyText", err)
	}
	if len(inner.calls) != 0 {
		t.Error("the embedder was called for an invalid batch")
	}
}

func TestCacheSizeZeroKeepsNothing(t *testing.T) {
	inner := newCounting(t)
	c := embed.NewCache(inner, 0)
	for range 2 {
		if _, err := c.Embed(context.Background(), []string{"hello"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(inner.calls); got != 2 {
		t.Errorf("embedder called %d times, want 2", got)
	}
}

func TestCacheConcurrentUse(t *testing.T) {
	c := embed.NewCache(newCounting(t), 8)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				text := fmt.Sprintf("text %d", (i*j)%13)
				if _, err := c.Embed(context.Background(), []string{text, "shared"}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := c.Stats().Len; got > 8 {
		t.Errorf("Len = %d, want at most 8", got)
	}
}
