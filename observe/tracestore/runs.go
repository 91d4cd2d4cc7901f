package tracestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/steady-voice/steady"
)

// RunRecord is a stored evaluation run. The store does not know what a run
// is (eval imports observe, not the other way round): it keeps the run as
// opaque JSON, with the few fields a listing shows beside it.
//
// Runs are results that people compare weeks later, not operational data:
// neither the retention of calls nor Purge deletes them, only DeleteRun
// does. They do count towards Options.MaxBytes, which Purge meets by
// deleting calls only, so runs nobody needs should be deleted.
type RunRecord struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"created_at"` // SaveRun sets it when zero
	Rows      int       `json:"rows"`
	// Summary is shown in listings; nil when none.
	Summary json.RawMessage `json:"summary,omitempty"`
	// Body is the whole run; ListRuns leaves it nil.
	Body json.RawMessage `json:"body,omitempty"`
}

const (
	// MaxRunBytes caps a run's Body and Summary together: a run of
	// thousands of rows fits, and a run is read whole into memory.
	MaxRunBytes = 32 << 20
	// MaxRunIDBytes and MaxRunNameBytes cap the fields a listing shows.
	MaxRunIDBytes   = 256
	MaxRunNameBytes = 1 << 10
	// MaxListRuns caps ListRuns' limit.
	MaxListRuns = 1000
)

// SaveRun stores r. A run with r's ID already stored is a Conflict: a run
// is a result, which is never silently replaced. An empty or oversized ID
// or Name, a negative Rows, a Body that is not JSON, a Summary that is set
// but not JSON, or Body and Summary over MaxRunBytes are Invalid. SaveRun
// copies what it needs and does not keep r.
func (s *Store) SaveRun(ctx context.Context, r RunRecord) error {
	const op = "tracestore.SaveRun"
	if err := validRun(r); err != nil {
		return steady.Errorf(steady.Invalid, op, "run %q: %w", r.ID, err)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.opt.Now()
	}
	var inserted bool
	err := s.guard(ctx, op, func() error {
		return s.write(ctx, func(tx *sql.Tx) (err error) {
			inserted, err = insertRun(ctx, tx, r)
			return err
		})
	})
	if err == nil && !inserted {
		return steady.Errorf(steady.Conflict, op, "run %q is already stored", r.ID)
	}
	return err
}

func validRun(r RunRecord) error {
	switch {
	case r.ID == "" || len(r.ID) > MaxRunIDBytes:
		return fmt.Errorf("want an id of 1 to %d bytes", MaxRunIDBytes)
	case len(r.Name) > MaxRunNameBytes:
		return fmt.Errorf("name of %d bytes is over %d", len(r.Name), MaxRunNameBytes)
	case !utf8.ValidString(r.ID) || !utf8.ValidString(r.Name):
		return errors.New("id or name is not valid UTF-8")
	case r.Rows < 0:
		return fmt.Errorf("rows = %d, want ≥ 0", r.Rows)
	case len(r.Body)+len(r.Summary) > MaxRunBytes:
		return fmt.Errorf("body and summary of %d bytes are over %d", len(r.Body)+len(r.Summary), MaxRunBytes)
	case !json.Valid(r.Body):
		return errors.New("body is not valid JSON")
	case r.Summary != nil && !json.Valid(r.Summary):
		return errors.New("summary is not valid JSON")
	}
	return nil
}

// insertRun reports false, and changes nothing, when the id is taken.
func insertRun(ctx context.Context, tx *sql.Tx, r RunRecord) (bool, error) {
	var summary any // NULL when none
	if r.Summary != nil {
		summary = string(r.Summary)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO runs (id, name, created_at, rows, summary, body)
		VALUES (?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING`,
		r.ID, r.Name, r.CreatedAt.UnixNano(), r.Rows, summary, string(r.Body))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// LoadRun returns the run stored under id, with its Body, or NotFound. The
// caller owns the record's slices.
func (s *Store) LoadRun(ctx context.Context, id string) (RunRecord, error) {
	const op = "tracestore.LoadRun"
	var r RunRecord
	err := s.guard(ctx, op, func() error {
		row := s.rdb.QueryRowContext(ctx, `SELECT id, name, created_at, rows, summary, body
			FROM runs WHERE id = ?`, id)
		var err error
		r, err = scanRun(row.Scan, true)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return RunRecord{}, steady.Errorf(steady.NotFound, op, "no run %q", id)
	}
	return r, err
}

// ListRuns returns up to limit runs, newest CreatedAt first, without their
// Body. A limit outside 1…MaxListRuns is Invalid. The caller owns the
// returned slice.
func (s *Store) ListRuns(ctx context.Context, limit int) ([]RunRecord, error) {
	const op = "tracestore.ListRuns"
	if limit < 1 || limit > MaxListRuns {
		return nil, steady.Errorf(steady.Invalid, op, "limit %d, want 1 to %d", limit, MaxListRuns)
	}
	var runs []RunRecord
	err := s.guard(ctx, op, func() error {
		var err error
		runs, err = s.listRuns(ctx, limit)
		return err
	})
	return runs, err
}

func (s *Store) listRuns(ctx context.Context, limit int) ([]RunRecord, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, name, created_at, rows, summary
		FROM runs ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []RunRecord
	for rows.Next() {
		r, err := scanRun(rows.Scan, false)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// scanRun reads the columns id, name, created_at, rows, summary and, when
// withBody, body.
func scanRun(scan func(...any) error, withBody bool) (RunRecord, error) {
	var r RunRecord
	var created int64
	var summary sql.NullString
	var body string
	dest := []any{&r.ID, &r.Name, &created, &r.Rows, &summary}
	if withBody {
		dest = append(dest, &body)
	}
	if err := scan(dest...); err != nil {
		return RunRecord{}, err
	}
	r.CreatedAt = time.Unix(0, created)
	if summary.Valid {
		r.Summary = json.RawMessage(summary.String)
	}
	if withBody {
		r.Body = json.RawMessage(body)
	}
	return r, nil
}

// DeleteRun deletes the run stored under id, or returns NotFound. It is the
// only way a run leaves the store.
func (s *Store) DeleteRun(ctx context.Context, id string) error {
	const op = "tracestore.DeleteRun"
	var n int64
	err := s.guard(ctx, op, func() error {
		return s.write(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, id)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
	})
	if err == nil && n == 0 {
		return steady.Errorf(steady.NotFound, op, "no run %q", id)
	}
	return err
}
