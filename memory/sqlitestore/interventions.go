package sqlitestore

import (
	"context"
	"database/sql"
	"github.com/steady-voice/steady/internal/sqlitedb"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

const ivColumns = `id, user_id, session_id, tool, category, context, text, task, args, outcome,
	scores, created_at, expires_at, trace_id, call_id, embedding, embedder`

// PutIntervention implements memory.Store.
func (s *Store) PutIntervention(ctx context.Context, iv memory.Intervention) error {
	const op = "sqlitestore.PutIntervention"
	args, err := interventionArgs(iv)
	if err != nil {
		return steady.Errorf(steady.Invalid, op, "intervention %s: %v", iv.ID, err)
	}
	cand := candidateOf(iv)
	replaced := false
	return s.guard(ctx, op, func() error {
		return s.w.submit(ctx, func(t wtx) error {
			var err error
			replaced, err = insertIntervention(t, iv.UserID, iv.ID, s.now(), args)
			return err
		}, func() {
			if replaced { // an expired twin may still be cached
				s.cache.drop(iv.UserID)
			} else {
				s.cache.add(iv.UserID, cand)
			}
		})
	})
}

// interventionArgs returns the values of ivColumns for iv.
func interventionArgs(iv memory.Intervention) ([]any, error) {
	scores, err := encodeScores(iv.Scores)
	if err != nil {
		return nil, err
	}
	return []any{iv.ID, iv.UserID, iv.SessionID, iv.Tool, string(iv.Category), iv.Context, iv.Text,
		iv.Task, encodeArgs(iv.Args), string(iv.Outcome), scores, nanos(iv.CreatedAt),
		nanos(iv.ExpiresAt), iv.TraceID, iv.CallID, encodeVector(iv.Embedding), iv.Embedder}, nil
}

const sqlInsertIntervention = `INSERT INTO interventions (` + ivColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertIntervention inserts a row. If the id is taken by an expired row
// that the purge has not reached yet, it replaces that row, and reports so:
// only a live one is a Conflict.
func insertIntervention(t wtx, userID, id string, now time.Time, args []any) (bool, error) {
	_, err := t.exec(sqlInsertIntervention, args...)
	if !sqlitedb.Duplicate(err) {
		return false, err
	}
	res, err := t.exec(`DELETE FROM interventions WHERE user_id = ? AND id = ? AND expires_at <= ?`,
		userID, id, nanos(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	switch {
	case err != nil:
		return false, err
	case n == 0:
		return false, steady.Errorf(steady.Conflict, "sqlitestore.PutIntervention", "intervention %s exists", id)
	}
	_, err = t.exec(sqlInsertIntervention, args...)
	return true, err
}

// candidateOf is iv as the cache keeps it, sharing nothing with the caller.
func candidateOf(iv memory.Intervention) memory.Candidate {
	return memory.Candidate{
		ID: iv.ID, Tool: iv.Tool, Category: iv.Category, Outcome: iv.Outcome,
		Scores: maps.Clone(iv.Scores), CreatedAt: timeOf(nanos(iv.CreatedAt)),
		ExpiresAt: timeOf(nanos(iv.ExpiresAt)), Embedder: iv.Embedder,
		Vector: slices.Clone(iv.Embedding),
	}
}

// GetInterventions implements memory.Store.
func (s *Store) GetInterventions(ctx context.Context, userID string, ids []string) ([]memory.Intervention, error) {
	const op = "sqlitestore.GetInterventions"
	found := make(map[string]memory.Intervention, len(ids))
	err := s.guard(ctx, op, func() error {
		for chunk := range slices.Chunk(ids, 500) { // SQLite binds at most 32766 variables
			if err := s.getChunk(ctx, userID, chunk, found); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]memory.Intervention, 0, len(found))
	for _, id := range ids {
		if iv, ok := found[id]; ok {
			out = append(out, iv)
		}
	}
	return out, nil
}

func (s *Store) getChunk(ctx context.Context, userID string, ids []string, found map[string]memory.Intervention) error {
	args := make([]any, 0, len(ids)+2)
	args = append(args, userID, nanos(s.now()))
	for _, id := range ids {
		args = append(args, id)
	}
	marks := strings.Repeat(", ?", len(ids))[2:]
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+ivColumns+` FROM interventions
		WHERE user_id = ? AND expires_at > ? AND id IN (`+marks+`)`, args...)
	if err != nil {
		return err
	}
	return eachIntervention(rows, func(iv memory.Intervention) { found[iv.ID] = iv })
}

// SetOutcome implements memory.Store.
func (s *Store) SetOutcome(ctx context.Context, userID, id string, outcome memory.Outcome, scores map[string]float64) (memory.Intervention, error) {
	const op = "sqlitestore.SetOutcome"
	var iv memory.Intervention
	err := s.guard(ctx, op, func() error {
		return s.w.submit(ctx, func(t wtx) error {
			var err error
			iv, err = setOutcome(t, userID, id, s.now(), outcome, scores)
			return err
		}, func() { s.cache.replace(userID, candidateOf(iv)) })
	})
	if err != nil {
		return memory.Intervention{}, err
	}
	return iv, nil
}

const (
	sqlSelectForOutcome = `SELECT ` + ivColumns + ` FROM interventions
		WHERE user_id = ? AND id = ? AND expires_at > ?`
	sqlUpdateOutcome = `UPDATE interventions SET outcome = ?, scores = ? WHERE user_id = ? AND id = ?`
)

func setOutcome(t wtx, userID, id string, now time.Time, outcome memory.Outcome, scores map[string]float64) (memory.Intervention, error) {
	const op = "sqlitestore.SetOutcome"
	rows, err := t.query(sqlSelectForOutcome, userID, id, nanos(now))
	if err != nil {
		return memory.Intervention{}, err
	}
	var ivs []memory.Intervention
	if err := eachIntervention(rows, func(iv memory.Intervention) { ivs = append(ivs, iv) }); err != nil {
		return memory.Intervention{}, err
	}
	if len(ivs) == 0 {
		return memory.Intervention{}, steady.Errorf(steady.NotFound, op, "no intervention %s", id)
	}
	iv := ivs[0]
	iv.Outcome = outcome
	if len(scores) > 0 && iv.Scores == nil {
		iv.Scores = make(map[string]float64, len(scores))
	}
	maps.Copy(iv.Scores, scores)
	enc, err := encodeScores(iv.Scores)
	if err != nil {
		return memory.Intervention{}, steady.Errorf(steady.Invalid, op, "scores: %v", err)
	}
	_, err = t.exec(sqlUpdateOutcome, string(outcome), enc, userID, id)
	return iv, err
}

// ListInterventions implements memory.Store.
func (s *Store) ListInterventions(ctx context.Context, userID, cursor string, limit int) ([]memory.Intervention, string, error) {
	const op = "sqlitestore.ListInterventions"
	if limit < 1 {
		return nil, "", steady.Errorf(steady.Invalid, op, "limit %d: want at least 1", limit)
	}
	query, args, err := pageQuery(userID, cursor, nanos(s.now()))
	if err != nil {
		return nil, "", err
	}
	args = append(args, limit+1) // one more tells whether there is a next page
	var page []memory.Intervention
	err = s.guard(ctx, op, func() error {
		rows, err := s.rdb.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		return eachIntervention(rows, func(iv memory.Intervention) { page = append(page, iv) })
	})
	if err != nil || len(page) <= limit {
		return page, "", err
	}
	page = page[:limit]
	last := page[limit-1]
	return page, memory.EncodeCursor(userID, time.Unix(0, nanos(last.CreatedAt)), last.ID), nil
}

// pageQuery returns the query of a page of userID's list after cursor, a
// range scan of interventions_by_time; its last argument, the limit, is the
// caller's to append.
func pageQuery(userID, cursor string, now int64) (string, []any, error) {
	query := `SELECT ` + ivColumns + ` FROM interventions WHERE user_id = ? AND expires_at > ?`
	args := []any{userID, now}
	if cursor != "" {
		at, id, err := memory.DecodeCursor(userID, cursor)
		if err != nil {
			return "", nil, err
		}
		query += ` AND (created_at, id) < (?, ?)`
		args = append(args, at.UnixNano(), id)
	}
	return query + ` ORDER BY created_at DESC, id DESC LIMIT ?`, args, nil
}

// eachIntervention scans every row of rows, which selected ivColumns, and
// closes them.
func eachIntervention(rows *sql.Rows, f func(memory.Intervention)) error {
	defer rows.Close()
	for rows.Next() {
		iv, err := scanIntervention(rows)
		if err != nil {
			return err
		}
		f(iv)
	}
	return rows.Err()
}

func scanIntervention(rows *sql.Rows) (memory.Intervention, error) {
	var (
		iv               memory.Intervention
		args, scores     *string
		created, expires int64
		embedding        sql.RawBytes
	)
	err := rows.Scan(&iv.ID, &iv.UserID, &iv.SessionID, &iv.Tool, &iv.Category, &iv.Context, &iv.Text,
		&iv.Task, &args, &iv.Outcome, &scores, &created, &expires, &iv.TraceID, &iv.CallID,
		&embedding, &iv.Embedder)
	if err != nil {
		return iv, err
	}
	iv.Args, iv.Embedding = decodeArgs(args), decodeVector(embedding)
	iv.CreatedAt, iv.ExpiresAt = timeOf(created), timeOf(expires)
	iv.Scores, err = decodeScores(scores)
	return iv, err
}
