package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"github.com/steady-voice/steady/internal/sqlitedb"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// PutReflection implements memory.Store.
func (s *Store) PutReflection(ctx context.Context, r memory.Reflection) error {
	const op = "sqlitestore.PutReflection"
	return s.guard(ctx, op, func() error {
		return s.w.submit(ctx, func(t wtx) error { return insertReflection(t, r, s.now()) }, nil)
	})
}

const sqlInsertReflection = `INSERT INTO reflections
	(user_id, id, session_id, insight, summary, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`

// insertReflection inserts r. If its id is taken by an expired reflection
// that the purge has not reached yet, it replaces that one: only a live one
// is a Conflict.
func insertReflection(t wtx, r memory.Reflection, now time.Time) error {
	args := []any{r.UserID, r.ID, r.SessionID, r.Insight, r.Summary, nanos(r.CreatedAt), nanos(r.ExpiresAt)}
	_, err := t.exec(sqlInsertReflection, args...)
	if !sqlitedb.Duplicate(err) {
		return err
	}
	res, err := t.exec(`DELETE FROM reflections WHERE user_id = ? AND id = ? AND expires_at <= ?`,
		r.UserID, r.ID, nanos(now))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	switch {
	case err != nil:
		return err
	case n == 0:
		return steady.Errorf(steady.Conflict, "sqlitestore.PutReflection", "reflection %s exists", r.ID)
	}
	_, err = t.exec(sqlInsertReflection, args...)
	return err
}

// ListReflections implements memory.Store.
func (s *Store) ListReflections(ctx context.Context, userID string, limit int) ([]memory.Reflection, error) {
	const op = "sqlitestore.ListReflections"
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	var out []memory.Reflection
	err := s.guard(ctx, op, func() error {
		rows, err := s.rdb.QueryContext(ctx, `SELECT id, session_id, insight, summary, created_at, expires_at
			FROM reflections WHERE user_id = ? AND expires_at > ?
			ORDER BY created_at DESC, id DESC LIMIT ?`, userID, nanos(s.now()), limit)
		if err != nil {
			return err
		}
		out, err = scanReflections(rows, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scanReflections reads rows of reflections of userID and closes them.
func scanReflections(rows *sql.Rows, userID string) ([]memory.Reflection, error) {
	defer rows.Close()
	var out []memory.Reflection
	for rows.Next() {
		r := memory.Reflection{UserID: userID}
		var created, expires int64
		if err := rows.Scan(&r.ID, &r.SessionID, &r.Insight, &r.Summary, &created, &expires); err != nil {
			return nil, err
		}
		r.CreatedAt, r.ExpiresAt = timeOf(created), timeOf(expires)
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetProfile implements memory.Store.
func (s *Store) GetProfile(ctx context.Context, userID string) (memory.Profile, error) {
	const op = "sqlitestore.GetProfile"
	var p memory.Profile
	err := s.guard(ctx, op, func() error {
		var data string
		err := s.rdb.QueryRowContext(ctx, `SELECT data FROM profiles WHERE user_id = ?`, userID).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return steady.Errorf(steady.NotFound, op, "no profile")
		}
		if err != nil {
			return err
		}
		return json.Unmarshal([]byte(data), &p)
	})
	if err != nil {
		return memory.Profile{}, err
	}
	return p, nil
}

// PutProfile implements memory.Store.
func (s *Store) PutProfile(ctx context.Context, p memory.Profile) error {
	const op = "sqlitestore.PutProfile"
	data, err := json.Marshal(p)
	if err != nil {
		return steady.Errorf(steady.Invalid, op, "profile: %v", err)
	}
	return s.guard(ctx, op, func() error {
		return s.w.submit(ctx, func(t wtx) error {
			_, err := t.exec(`INSERT INTO profiles (user_id, data) VALUES (?, ?)
				ON CONFLICT (user_id) DO UPDATE SET data = excluded.data`, p.UserID, string(data))
			return err
		}, nil)
	})
}

// GetSession implements memory.Store.
func (s *Store) GetSession(ctx context.Context, userID, sessionID string) (memory.SessionState, error) {
	const op = "sqlitestore.GetSession"
	var st memory.SessionState
	err := s.guard(ctx, op, func() error {
		var data string
		err := s.rdb.QueryRowContext(ctx, `SELECT data FROM sessions
			WHERE user_id = ? AND session_id = ? AND expires_at > ?`, userID, sessionID, nanos(s.now())).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return steady.Errorf(steady.NotFound, op, "no session %s", sessionID)
		}
		if err != nil {
			return err
		}
		return json.Unmarshal([]byte(data), &st)
	})
	if err != nil {
		return memory.SessionState{}, err
	}
	return st, nil
}

// PutSession implements memory.Store. The version check and the write are
// one transaction on the only writing connection, so two writers that read
// the same version cannot both succeed.
func (s *Store) PutSession(ctx context.Context, st memory.SessionState) (memory.SessionState, error) {
	const op = "sqlitestore.PutSession"
	read := st.Version
	st.Version++
	data, err := json.Marshal(st)
	if err != nil {
		return memory.SessionState{}, steady.Errorf(steady.Invalid, op, "session: %v", err)
	}
	err = s.guard(ctx, op, func() error {
		return s.w.submit(ctx, func(t wtx) error {
			return casSession(t, st, read, string(data), s.now())
		}, nil)
	})
	if err != nil {
		return memory.SessionState{}, err
	}
	// What was stored, decoded afresh: the caller's slices stay the caller's.
	var stored memory.SessionState
	if err := json.Unmarshal(data, &stored); err != nil {
		return memory.SessionState{}, steady.Wrap(steady.Internal, op, err)
	}
	return stored, nil
}

const (
	sqlSessionVersion = `SELECT version FROM sessions WHERE user_id = ? AND session_id = ? AND expires_at > ?`
	sqlUpsertSession  = `INSERT INTO sessions (user_id, session_id, version, expires_at, data)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, session_id) DO UPDATE SET
		version = excluded.version, expires_at = excluded.expires_at, data = excluded.data`
)

// casSession writes the session st, with data its JSON, if the live stored
// version is read (0 for none).
func casSession(t wtx, st memory.SessionState, read int64, data string, now time.Time) error {
	var stored int64
	err := t.queryRow(sqlSessionVersion, st.UserID, st.SessionID, nanos(now)).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if stored != read {
		return steady.Errorf(steady.Conflict, "sqlitestore.PutSession",
			"session %s is at version %d, not %d: read it again", st.SessionID, stored, read)
	}
	_, err = t.exec(sqlUpsertSession, st.UserID, st.SessionID, st.Version, nanos(st.ExpiresAt), data)
	return err
}
