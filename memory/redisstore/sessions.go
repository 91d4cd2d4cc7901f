package redisstore

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/redis/rueidis"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// GetSession reads one session; NotFound if it is absent or expired by the
// store's clock (Redis may not have dropped it yet). It reads through the
// client-side cache, which PutSession's barrier keeps showing this
// process's own writes at once (see call in scripts.go), and which
// PutIntervention refills (see rewarm): an agent's turn then starts
// without a round trip.
func (s *Store) GetSession(ctx context.Context, userID, sessionID string) (memory.SessionState, error) {
	const op = "redisstore.GetSession"
	ctx, cancel := s.bound(ctx)
	defer cancel()
	d, err := s.c.DoCache(ctx, s.cachedSession(s.keys(userID), sessionID).Cmd, s.opt.CacheTTL).ToString()
	if notFound(err) {
		return memory.SessionState{}, steady.Errorf(steady.NotFound, op, "no session %s", sessionID)
	}
	if err != nil {
		return memory.SessionState{}, s.fail(op, err)
	}
	var st memory.SessionState
	if err := json.Unmarshal([]byte(d), &st); err != nil {
		return memory.SessionState{}, steady.Wrap(steady.Internal, op, errCorrupt)
	}
	if !s.opt.Now().Before(st.ExpiresAt) {
		return memory.SessionState{}, steady.Errorf(steady.NotFound, op, "no session %s", sessionID)
	}
	return st, nil
}

// PutSession stores st with the next version if the stored version is
// st.Version; the compare and the set are one script.
func (s *Store) PutSession(ctx context.Context, st memory.SessionState) (memory.SessionState, error) {
	const op = "redisstore.PutSession"
	expected := st.Version
	st.Version++
	d, err := json.Marshal(st)
	if err != nil {
		return memory.SessionState{}, steady.Errorf(steady.Invalid, op, "encode: %w", err)
	}
	k := s.keys(st.UserID)
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.exec(ctx, putSession, call{
		keys:    []string{k.ss(st.SessionID), k.ssx()},
		args:    []string{s.nowMS(), strconv.FormatInt(expected, 10), string(d), strconv.FormatInt(expiryMS(st.ExpiresAt), 10), st.SessionID},
		with:    s.addUser(st.UserID),
		barrier: k.ss(st.SessionID),
	})
	if err := s.stored(op, res, err, "session "+st.SessionID+" is not at version "+strconv.FormatInt(expected, 10)); err != nil {
		return memory.SessionState{}, err
	}
	// What was stored, decoded: the caller's slices in st must not come
	// back aliased in the result, which is the caller's to change.
	var stored memory.SessionState
	if err := json.Unmarshal(d, &stored); err != nil {
		return memory.SessionState{}, steady.Wrap(steady.Internal, op, err)
	}
	return stored, nil
}

// cachedSession is the cached read of a session's state.
func (s *Store) cachedSession(k keys, sessionID string) rueidis.CacheableTTL {
	return rueidis.CT(s.c.B().Hget().Key(k.ss(sessionID)).Field("d").Cache(), s.opt.CacheTTL)
}
