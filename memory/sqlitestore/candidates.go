package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"math"
	"slices"
	"time"

	"github.com/steady-voice/steady/memory"
)

// Candidates implements memory.Store. A user's first call loads their live
// interventions from SQLite; later calls are served from the cache, which
// every write of this Store keeps exact. Expiry is judged on every call.
// The order is unspecified (it is roughly oldest first).
func (s *Store) Candidates(ctx context.Context, userID string) ([]memory.Candidate, error) {
	const op = "sqlitestore.Candidates"
	var out []memory.Candidate
	err := s.guard(ctx, op, func() error {
		now := s.now()
		cands, ok := s.cache.get(userID)
		if !ok {
			mark := s.cache.reserve(userID)
			var err error
			if cands, err = s.loadCandidates(ctx, userID, now); err != nil {
				return err
			}
			s.cache.fill(mark, cands)
		}
		out = live(cands, now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// live returns the candidates that are live at now. The cache is
// copy-on-write, so when none has expired the cached slice itself is
// returned (capped, so a caller's append cannot reach the cache), and
// otherwise a filtered copy sharing the vectors and scores.
func live(cands []memory.Candidate, now time.Time) []memory.Candidate {
	expired := func(c memory.Candidate) bool { return !now.Before(c.ExpiresAt) }
	if !slices.ContainsFunc(cands, expired) {
		return cands[:len(cands):len(cands)]
	}
	out := make([]memory.Candidate, 0, len(cands))
	for _, c := range cands {
		if !expired(c) {
			out = append(out, c)
		}
	}
	return out
}

// loadCandidates reads the user's interventions that are live at now,
// oldest first, the order in which the cache appends new ones.
func (s *Store) loadCandidates(ctx context.Context, userID string, now time.Time) ([]memory.Candidate, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, tool, category, outcome, scores, created_at,
		expires_at, embedder, embedding FROM interventions WHERE user_id = ? AND expires_at > ?
		ORDER BY created_at, id`, userID, nanos(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		cands []memory.Candidate
		l     = loader{names: map[string]string{}}
	)
	for rows.Next() {
		c, err := l.scan(rows)
		if err != nil {
			return nil, err
		}
		cands = append(cands, c)
	}
	return cands, rows.Err()
}

// A loader builds candidates with few allocations. The cache keeps them
// long, and the garbage collector marks every object the cache holds in
// every cycle, which searches trigger often: names repeat (a few tools,
// categories, outcomes and embedders) and are shared, and vectors are cut
// from arrays of vectorChunk floats.
type loader struct {
	names map[string]string
	vecs  []float32 // the rest of the current array
}

const vectorChunk = 64 << 10 // 256 KiB

func (l *loader) scan(rows *sql.Rows) (memory.Candidate, error) {
	var (
		c                               memory.Candidate
		tool, category, outcome, embedr string
		scores                          *string
		created, expires                int64
		vector                          sql.RawBytes
	)
	err := rows.Scan(&c.ID, &tool, &category, &outcome, &scores, &created, &expires, &embedr, &vector)
	if err != nil {
		return c, err
	}
	c.Tool, c.Category, c.Outcome = l.name(tool), memory.Category(l.name(category)), memory.Outcome(l.name(outcome))
	c.Embedder, c.Vector = l.name(embedr), l.vector(vector)
	c.CreatedAt, c.ExpiresAt = timeOf(created), timeOf(expires)
	c.Scores, err = decodeScores(scores)
	return c, err
}

// name returns the first copy of s this load has seen.
func (l *loader) name(s string) string {
	if first, ok := l.names[s]; ok {
		return first
	}
	l.names[s] = s
	return s
}

// vector decodes b into the current array. The full slice expression keeps
// an append to one vector from running into the next.
func (l *loader) vector(b []byte) []float32 {
	n := len(b) / 4
	if n == 0 {
		return nil
	}
	if len(l.vecs) < n {
		l.vecs = make([]float32, max(n, vectorChunk))
	}
	v := l.vecs[:n:n]
	l.vecs = l.vecs[n:]
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
