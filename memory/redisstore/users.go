package redisstore

import (
	"context"
	"encoding/json"

	"github.com/redis/rueidis"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// GetProfile reads the user's profile; NotFound if there is none. It
// reads through the client-side cache: profiles seldom change, and
// PutProfile's barrier keeps this process's own writes visible at once.
func (s *Store) GetProfile(ctx context.Context, userID string) (memory.Profile, error) {
	const op = "redisstore.GetProfile"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	d, err := s.c.DoCache(ctx, s.c.B().Get().Key(s.keys(userID).pf()).Cache(), s.opt.CacheTTL).ToString()
	if notFound(err) {
		return memory.Profile{}, steady.Errorf(steady.NotFound, op, "no profile")
	}
	if err != nil {
		return memory.Profile{}, s.fail(op, err)
	}
	var p memory.Profile
	if err := json.Unmarshal([]byte(d), &p); err != nil {
		return memory.Profile{}, steady.Wrap(steady.Internal, op, errCorrupt)
	}
	return p, nil
}

// PutProfile replaces the user's profile. A profile is one key with no
// expiry, so a plain SET is atomic. The SET goes first, with a barrier
// read behind it, for the reason call in scripts.go gives.
func (s *Store) PutProfile(ctx context.Context, p memory.Profile) error {
	const op = "redisstore.PutProfile"
	d, err := json.Marshal(p)
	if err != nil {
		return steady.Errorf(steady.Invalid, op, "encode: %w", err)
	}
	pf := s.keys(p.UserID).pf()
	ctx, cancel := s.bound(ctx)
	defer cancel()
	for _, r := range s.c.DoMulti(ctx,
		s.c.B().Set().Key(pf).Value(string(d)).Build(),
		s.c.B().Pttl().Key(pf).Build(),
		s.c.B().Sadd().Key(s.users).Member(p.UserID).Build(),
	) {
		if err := r.Error(); err != nil {
			return s.fail(op, err)
		}
	}
	return nil
}

// Forget deletes every key of the user in one script, walking the user's
// indexes instead of SCAN, then takes the user out of the set Totals walks.
func (s *Store) Forget(ctx context.Context, userID string) (memory.Forgotten, error) {
	const op = "redisstore.Forget"
	k := s.keys(userID)
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.exec(ctx, forget, call{
		keys:    []string{k.ivt(), k.ivx(), k.hd(), k.meta(), k.rft(), k.rfx(), k.ssx(), k.pf()},
		args:    []string{s.nowMS(), k.up},
		barrier: k.hd(),
	})
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return memory.Forgotten{}, s.fail(op, err)
	}
	n, err := res.AsIntSlice()
	if err != nil || len(n) != 4 {
		return memory.Forgotten{}, steady.Wrap(steady.Internal, op, errCorrupt)
	}
	if err := s.c.Do(ctx, s.c.B().Srem().Key(s.users).Member(userID).Build()).Error(); err != nil {
		return memory.Forgotten{}, s.fail(op, err)
	}
	return memory.Forgotten{Interventions: int(n[0]), Reflections: int(n[1]), Profiles: int(n[2]), Sessions: int(n[3])}, nil
}

// totalsBatch is how many users one round trip of Totals counts.
const totalsBatch = 500

// Totals walks the set of users and counts each one's live records from its
// expiry indexes, and tallies tools and days from their candidate blocks
// (usage.go). It is an operator's call, O(users) for the counts and
// O(interventions) for the tally, in batches of SSCAN with COUNT and
// pipelined reads: each batch of users gets the store's timeout, not the
// whole walk, and no single command holds the server for long.
func (s *Store) Totals(ctx context.Context) (memory.Totals, error) {
	const op = "redisstore.Totals"
	var t memory.Totals
	u := newUsage(s.opt.Now())
	cursor := uint64(0)
	for {
		entry, err := s.scanUsers(ctx, cursor)
		if err != nil {
			return memory.Totals{}, s.fail(op, err)
		}
		if err := s.count(ctx, entry.Elements, &t); err != nil {
			return memory.Totals{}, s.fail(op, err)
		}
		if err := s.addUsage(ctx, entry.Elements, u); err != nil {
			return memory.Totals{}, s.fail(op, err)
		}
		if cursor = entry.Cursor; cursor == 0 {
			u.fill(&t)
			return t, nil
		}
	}
}

func (s *Store) scanUsers(ctx context.Context, cursor uint64) (rueidis.ScanEntry, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.c.Do(ctx, s.c.B().Sscan().Key(s.users).Cursor(cursor).Count(totalsBatch).Build()).AsScanEntry()
}

// count adds the live records of users to t, in one round trip.
func (s *Store) count(ctx context.Context, users []string, t *memory.Totals) error {
	if len(users) == 0 {
		return nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	live := "(" + s.nowMS()
	cmds := make([]rueidis.Completed, 0, 4*len(users))
	for _, u := range users {
		k := s.keys(u)
		cmds = append(cmds,
			s.c.B().Zcount().Key(k.ivx()).Min(live).Max("+inf").Build(),
			s.c.B().Zcount().Key(k.rfx()).Min(live).Max("+inf").Build(),
			s.c.B().Zcount().Key(k.ssx()).Min(live).Max("+inf").Build(),
			s.c.B().Exists().Key(k.pf()).Build(),
		)
	}
	res := s.c.DoMulti(ctx, cmds...)
	for i := 0; i < len(res); i += 4 {
		var n [4]int64
		for j := range n {
			v, err := res[i+j].AsInt64()
			if err != nil {
				return err
			}
			n[j] = v
		}
		t.Interventions += int(n[0])
		t.Reflections += int(n[1])
		t.Sessions += int(n[2])
		t.Profiles += int(n[3])
		if n[0]+n[1]+n[2]+n[3] > 0 {
			t.Users++
		}
	}
	return nil
}
