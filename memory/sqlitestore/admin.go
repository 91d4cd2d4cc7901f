package sqlitestore

import (
	"context"
	"database/sql"

	"github.com/steady-voice/steady/memory"
)

// Forget implements memory.Store. Everything of the user goes in one
// transaction; the counts are of the records that were live, the ones the
// user could still see, so they match what a store that expires natively
// reports.
func (s *Store) Forget(ctx context.Context, userID string) (memory.Forgotten, error) {
	const op = "sqlitestore.Forget"
	var f memory.Forgotten
	err := s.guard(ctx, op, func() error {
		return s.w.submit(ctx, func(t wtx) error {
			var err error
			f, err = forget(t, userID, nanos(s.now()))
			return err
		}, func() { s.cache.drop(userID) })
	})
	if err != nil {
		return memory.Forgotten{}, err
	}
	return f, nil
}

// forgetTables lists the tables Forget empties of a user, with what makes a
// row live ("" for never expires) and the count each one goes to.
var forgetTables = []struct {
	name, live string
	count      func(*memory.Forgotten) *int
}{
	{"interventions", "expires_at > ?", func(f *memory.Forgotten) *int { return &f.Interventions }},
	{"reflections", "expires_at > ?", func(f *memory.Forgotten) *int { return &f.Reflections }},
	{"profiles", "", func(f *memory.Forgotten) *int { return &f.Profiles }},
	{"sessions", "expires_at > ?", func(f *memory.Forgotten) *int { return &f.Sessions }},
}

func forget(t wtx, userID string, now int64) (memory.Forgotten, error) {
	var f memory.Forgotten
	for _, table := range forgetTables {
		query, args := `SELECT count(*) FROM `+table.name+` WHERE user_id = ?`, []any{userID}
		if table.live != "" {
			query, args = query+` AND `+table.live, append(args, now)
		}
		if err := t.queryRow(query, args...).Scan(table.count(&f)); err != nil {
			return memory.Forgotten{}, err
		}
		if _, err := t.exec(`DELETE FROM `+table.name+` WHERE user_id = ?`, userID); err != nil {
			return memory.Forgotten{}, err
		}
	}
	return f, nil
}

// Totals implements memory.Store. Users counts the users with at least one
// live record of any kind. One read transaction reads one snapshot, so the
// counts, the tools and the days agree with each other.
func (s *Store) Totals(ctx context.Context) (memory.Totals, error) {
	const op = "sqlitestore.Totals"
	var t memory.Totals
	err := s.guard(ctx, op, func() error {
		tx, err := s.rdb.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }() // read only: nothing to keep
		now := s.now()
		if err := counts(ctx, tx, nanos(now), &t); err != nil {
			return err
		}
		return usage(ctx, tx, now, &t)
	})
	if err != nil {
		return memory.Totals{}, err
	}
	return t, nil
}

func counts(ctx context.Context, tx *sql.Tx, now int64, t *memory.Totals) error {
	return tx.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM interventions WHERE expires_at > ?1),
		(SELECT count(*) FROM reflections WHERE expires_at > ?1),
		(SELECT count(*) FROM profiles),
		(SELECT count(*) FROM sessions WHERE expires_at > ?1),
		(SELECT count(*) FROM (
			SELECT user_id FROM interventions WHERE expires_at > ?1
			UNION SELECT user_id FROM reflections WHERE expires_at > ?1
			UNION SELECT user_id FROM profiles
			UNION SELECT user_id FROM sessions WHERE expires_at > ?1))`, now).
		Scan(&t.Interventions, &t.Reflections, &t.Profiles, &t.Sessions, &t.Users)
}
