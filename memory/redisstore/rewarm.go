package redisstore

import (
	"context"
	"strconv"

	"github.com/redis/rueidis"
)

// rewarm reads again, after a write of this store, what the write
// invalidated in the client-side cache, for a user whose candidates are
// read here: the block it changed (block, or the newest if ""), decoded
// into the memo, and the also commands (the records and session state the
// user's next turn reads). The writer, in the background of an agent's
// turn, is better placed to pay for the round trip and the decoding than
// the user's next turn, which would otherwise find them missing. A failure
// is left for that turn to meet.
func (s *Store) rewarm(ctx context.Context, k keys, block string, also ...rueidis.CacheableTTL) {
	if s.memo.view(k.up) == nil {
		return
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if block == "" {
		block = s.newestBlock(ctx, k)
	}
	if block != "" {
		also = append([]rueidis.CacheableTTL{s.cachedBlock(block)}, also...)
	}
	res := s.c.DoMultiCache(ctx, also...)
	if block != "" {
		_, _ = s.blockFrom(block, res[0])
	}
}

// newestBlock returns the key of the block new interventions go to, the
// highest numbered in hd, or "" if hd cannot be read or is empty.
func (s *Store) newestBlock(ctx context.Context, k keys) string {
	hd, err := s.c.DoCache(ctx, s.cachedHd(k), s.opt.CacheTTL).AsZScores()
	newest := int64(-1)
	for _, z := range hd {
		if n, err := strconv.ParseInt(z.Member, 10, 64); err == nil && n > newest {
			newest = n
		}
	}
	if err != nil || newest < 0 {
		return ""
	}
	return k.block(strconv.FormatInt(newest, 10))
}

// blockOf returns the key of the block that holds the intervention whose
// ivx member is m ("" if m is malformed): its first 8 hex digits.
func blockOf(k keys, m string) string {
	n, err := strconv.ParseUint(m[:min(8, len(m))], 16, 32)
	if err != nil || len(m) < 8 {
		return ""
	}
	return k.block(strconv.FormatUint(n, 10))
}
