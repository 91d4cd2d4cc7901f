package redisstore

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// PutReflection stores r and its index entries in one script. Conflict if
// the user has a live reflection with r.ID.
func (s *Store) PutReflection(ctx context.Context, r memory.Reflection) error {
	const op = "redisstore.PutReflection"
	d, err := json.Marshal(r)
	if err != nil {
		return steady.Errorf(steady.Invalid, op, "encode: %w", err)
	}
	k := s.keys(r.UserID)
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.exec(ctx, putReflection, call{
		keys: []string{k.rf(r.ID), k.rft(), k.rfx()},
		args: []string{s.nowMS(), strconv.FormatInt(expiryMS(r.ExpiresAt), 10), lexMember(r.CreatedAt, r.ID), string(d), k.up},
		with: s.addUser(r.UserID),
	})
	return s.stored(op, res, err, "reflection "+r.ID+" exists")
}

// ListReflections walks rft newest first, skipping expired reflections.
func (s *Store) ListReflections(ctx context.Context, userID string, limit int) ([]memory.Reflection, error) {
	const op = "redisstore.ListReflections"
	k, now := s.keys(userID), s.opt.Now()
	ctx, cancel := s.bound(ctx)
	defer cancel()
	batch := int64(1000)
	if limit > 0 {
		batch = int64(min(limit, 996) + 4) // a few spare for expired ones
	}
	out := []memory.Reflection{}
	for from := "+"; limit <= 0 || len(out) < limit; {
		members, err := s.c.Do(ctx, s.c.B().Zrange().Key(k.rft()).Min(from).Max("-").Bylex().Rev().Limit(0, batch).Build()).AsStrSlice()
		if err != nil {
			return nil, s.fail(op, err)
		}
		rs, err := s.reflections(ctx, k, userID, members, now)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, rs...)
		if int64(len(members)) < batch {
			break
		}
		from = "(" + members[len(members)-1]
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// reflections reads the reflections of rft members and keeps the live ones.
func (s *Store) reflections(ctx context.Context, k keys, userID string, members []string, now time.Time) ([]memory.Reflection, error) {
	if len(members) == 0 {
		return nil, nil
	}
	cmds := make([]rueidis.Completed, len(members))
	for i, m := range members {
		cmds[i] = s.c.B().Hget().Key(k.rf(lexID(m))).Field("d").Build()
	}
	var out []memory.Reflection
	for _, res := range s.c.DoMulti(ctx, cmds...) {
		d, err := res.ToString()
		if notFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var r memory.Reflection
		if err := json.Unmarshal([]byte(d), &r); err != nil {
			return nil, errCorrupt
		}
		if r.UserID == userID && now.Before(r.ExpiresAt) {
			out = append(out, r)
		}
	}
	return out, nil
}
