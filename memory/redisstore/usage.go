package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/steady-voice/steady/memory"
)

// usage tallies Totals.Tools and Totals.Daily from the candidate blocks,
// which hold the tool, outcome, scores and times of every intervention. It
// reads them without the client-side cache and without the memo: an
// operator's walk over every user must not evict the users' hot searches.
type usage struct {
	now   time.Time
	start time.Time
	days  []memory.DayCount
	tools map[string]*toolSum
}

type toolSum struct {
	memory.ToolTotals
	sum float64
}

func newUsage(now time.Time) *usage {
	days, start := memory.GrowthDaysUntil(now)
	return &usage{now: now, start: start, days: days, tools: map[string]*toolSum{}}
}

// addUsage reads the live blocks of users, in two pipelined round trips, and
// tallies their live candidates.
func (s *Store) addUsage(ctx context.Context, users []string, u *usage) error {
	if len(users) == 0 {
		return nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	blocks, err := s.liveBlockKeys(ctx, users, u.now)
	if err != nil || len(blocks) == 0 {
		return err
	}
	cmds := make([]rueidis.Completed, len(blocks))
	for i, key := range blocks {
		cmds[i] = s.c.B().Hvals().Key(key).Build()
	}
	for _, r := range s.c.DoMulti(ctx, cmds...) {
		vals, err := r.AsStrSlice()
		if err != nil {
			return err
		}
		for _, v := range vals {
			c, ok := decodeCandidate(v)
			if !ok {
				return errCorrupt
			}
			u.add(c)
		}
	}
	return nil
}

// liveBlockKeys returns the keys of the blocks of users that may hold a
// live candidate, from their hd indexes.
func (s *Store) liveBlockKeys(ctx context.Context, users []string, now time.Time) ([]string, error) {
	cmds := make([]rueidis.Completed, len(users))
	for i, user := range users {
		cmds[i] = s.c.B().Zrangebyscore().Key(s.keys(user).hd()).Min("(" + strconv.FormatInt(now.UnixMilli(), 10)).Max("+inf").Build()
	}
	var keys []string
	for i, r := range s.c.DoMulti(ctx, cmds...) {
		members, err := r.AsStrSlice()
		if err != nil {
			return nil, err
		}
		k := s.keys(users[i])
		for _, m := range members {
			keys = append(keys, k.block(m))
		}
	}
	return keys, nil
}

func (u *usage) add(c memory.Candidate) {
	if !u.now.Before(c.ExpiresAt) {
		return
	}
	t := u.tools[c.Tool]
	if t == nil {
		t = &toolSum{ToolTotals: memory.ToolTotals{Tool: c.Tool}}
		u.tools[c.Tool] = t
	}
	t.Uses++
	if c.Outcome.Successful() {
		t.Successes++
	}
	if v, ok := c.Scores[memory.Effectiveness]; ok {
		t.Scored++
		t.sum += v
	}
	if d := c.CreatedAt.Sub(u.start); d >= 0 && d < time.Duration(len(u.days))*24*time.Hour {
		u.days[d/(24*time.Hour)].Count++
	}
}

// fill sets t.Tools and t.Daily from the tally.
func (u *usage) fill(t *memory.Totals) {
	t.Tools = make([]memory.ToolTotals, 0, len(u.tools))
	for _, ts := range u.tools {
		if ts.Scored > 0 {
			mean := ts.sum / float64(ts.Scored)
			ts.MeanEffectiveness = &mean
		}
		t.Tools = append(t.Tools, ts.ToolTotals)
	}
	memory.SortTools(t.Tools)
	t.Daily = u.days
}
