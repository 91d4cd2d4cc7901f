package redisstore

import (
	"context"
	"strconv"

	"github.com/redis/rueidis"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// PutIntervention stores iv, its index entries and its candidate in one
// script. Conflict if the user has a live intervention with iv.ID.
func (s *Store) PutIntervention(ctx context.Context, iv memory.Intervention) error {
	const op = "redisstore.PutIntervention"
	j, err := doc(iv)
	if err != nil {
		return steady.Errorf(steady.Invalid, op, "encode: %w", err)
	}
	k, head := s.keys(iv.UserID), encodeHead(iv)
	args := []string{
		s.nowMS(), strconv.FormatInt(expiryMS(iv.ExpiresAt), 10), lexMember(iv.CreatedAt, iv.ID), iv.ID,
		head, j, string(iv.Args), string(iv.Outcome), k.up, strconv.Itoa(blockCapacity(len(head))),
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.exec(ctx, putIntervention, call{
		keys:    []string{k.iv(iv.ID), k.ivt(), k.ivx(), k.hd(), k.meta()},
		args:    scoreArgs(args, iv.Scores),
		with:    s.addUser(iv.UserID),
		barrier: k.hd(),
	})
	if err := s.stored(op, res, err, "intervention "+iv.ID+" exists"); err != nil {
		return err
	}
	// The record is among the likeliest matches of the user's next turn,
	// and the session it was made in is read at the start of it.
	s.rewarm(ctx, k, "", s.cachedRecord(k, iv.ID), s.cachedSession(k, iv.SessionID))
	return nil
}

// stored reads the reply of a Put script: 1 stored, 0 refused with a
// Conflict that says conflict.
func (s *Store) stored(op string, res rueidis.RedisResult, err error, conflict string) error {
	if err != nil {
		return s.fail(op, err)
	}
	n, err := res.AsInt64()
	if err != nil {
		return s.fail(op, err)
	}
	if n == 0 {
		return steady.Errorf(steady.Conflict, op, "%s", conflict)
	}
	return nil
}

// nowMS is the store's clock in whole milliseconds, as the scripts take it.
func (s *Store) nowMS() string { return strconv.FormatInt(s.opt.Now().UnixMilli(), 10) }

// GetInterventions reads the records in one round trip and keeps the live
// ones, in the order of ids.
func (s *Store) GetInterventions(ctx context.Context, userID string, ids []string) ([]memory.Intervention, error) {
	const op = "redisstore.GetInterventions"
	out := make([]memory.Intervention, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	ivs, err := s.fetch(ctx, s.keys(userID), userID, ids)
	if err != nil {
		return nil, s.fail(op, err)
	}
	for _, iv := range ivs {
		if iv != nil {
			out = append(out, *iv)
		}
	}
	return out, nil
}

// fetch returns, for each id, the user's live intervention or nil.
func (s *Store) fetch(ctx context.Context, k keys, userID string, ids []string) ([]*memory.Intervention, error) {
	// Through the client-side cache: a search that finds the same records
	// again costs no round trip, and a write to a record invalidates it.
	cmds := make([]rueidis.CacheableTTL, len(ids))
	for i, id := range ids {
		cmds[i] = s.cachedRecord(k, id)
	}
	now := s.opt.Now()
	out := make([]*memory.Intervention, len(ids))
	for i, r := range s.c.DoMultiCache(ctx, cmds...) {
		f, err := r.AsStrMap()
		if err != nil {
			return nil, err
		}
		if len(f) == 0 {
			continue
		}
		iv, err := s.record(k.iv(ids[i]), f)
		if err != nil {
			return nil, err
		}
		// The key is the user's, so the record is; checking costs nothing.
		if iv.UserID == userID && iv.ID == ids[i] && now.Before(iv.ExpiresAt) {
			out[i] = &iv
		}
	}
	return out, nil
}

// record decodes an intervention's hash like decodeIntervention, with its
// JSON part, which never changes, decoded once: while the hash stays in the
// client-side cache the memo's doc was decoded from the very same string.
func (s *Store) record(key string, f map[string]string) (memory.Intervention, error) {
	j := f["j"]
	if d := s.memo.doc(key); d != nil && d.raw == j {
		return withFields(d.iv, f)
	}
	iv, err := decodeDoc(j)
	if err != nil {
		return iv, err
	}
	s.memo.put(&docEntry{key: key, raw: j, iv: iv})
	return withFields(iv, f)
}

// cachedRecord is the cached read of one intervention's hash.
func (s *Store) cachedRecord(k keys, id string) rueidis.CacheableTTL {
	return rueidis.CT(s.c.B().Hgetall().Key(k.iv(id)).Cache(), s.opt.CacheTTL)
}

// SetOutcome sets the outcome and merges the scores inside Redis, with
// HSET on the record's hash: its PEXPIREAT stays, and concurrent merges
// cannot lose each other's scores.
func (s *Store) SetOutcome(ctx context.Context, userID, id string, outcome memory.Outcome, scores map[string]float64) (memory.Intervention, error) {
	const op = "redisstore.SetOutcome"
	k := s.keys(userID)
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.exec(ctx, setOutcome, call{
		keys:    []string{k.iv(id)},
		args:    scoreArgs([]string{s.nowMS(), string(outcome), k.up, id}, scores),
		barrier: k.hd(),
	})
	if err != nil {
		return memory.Intervention{}, s.fail(op, err)
	}
	f, err := res.AsStrMap()
	if notFound(err) {
		return memory.Intervention{}, steady.Errorf(steady.NotFound, op, "no intervention %s", id)
	}
	if err != nil {
		return memory.Intervention{}, s.fail(op, err)
	}
	iv, err := decodeIntervention(f)
	if err != nil {
		return memory.Intervention{}, steady.Wrap(steady.Internal, op, err)
	}
	s.rewarm(ctx, k, blockOf(k, f["m"]), s.cachedRecord(k, id))
	return iv, nil
}

// ListInterventions walks the user's ivt index newest first from the
// cursor, skipping ids whose records expired, and reads one record beyond
// the page to know whether it is the last.
func (s *Store) ListInterventions(ctx context.Context, userID, cursor string, limit int) ([]memory.Intervention, string, error) {
	const op = "redisstore.ListInterventions"
	if limit < 1 {
		return nil, "", steady.Errorf(steady.Invalid, op, "limit %d: want at least 1", limit)
	}
	from := "+"
	if cursor != "" {
		created, id, err := memory.DecodeCursor(userID, cursor)
		if err != nil {
			return nil, "", err
		}
		from = "(" + lexMember(created, id)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	page, err := s.walk(ctx, userID, from, limit+1)
	if err != nil {
		return nil, "", s.fail(op, err)
	}
	if len(page) <= limit {
		return page, "", nil
	}
	last := page[limit-1]
	return page[:limit], memory.EncodeCursor(userID, last.CreatedAt, last.ID), nil
}

// walk returns up to n live interventions listed in ivt before from.
func (s *Store) walk(ctx context.Context, userID, from string, n int) ([]memory.Intervention, error) {
	k := s.keys(userID)
	batch := int64(min(max(n, 16), 1000))
	out := make([]memory.Intervention, 0, min(n, int(batch)))
	for len(out) < n {
		members, err := s.c.Do(ctx, s.c.B().Zrange().Key(k.ivt()).Min(from).Max("-").Bylex().Rev().Limit(0, batch).Build()).AsStrSlice()
		if err != nil || len(members) == 0 {
			return out, err
		}
		ids := make([]string, len(members))
		for i, m := range members {
			ids[i] = lexID(m)
		}
		ivs, err := s.fetch(ctx, k, userID, ids)
		if err != nil {
			return nil, err
		}
		for _, iv := range ivs {
			if iv != nil && len(out) < n {
				out = append(out, *iv)
			}
		}
		if int64(len(members)) < batch {
			break
		}
		from = "(" + members[len(members)-1]
	}
	return out, nil
}
