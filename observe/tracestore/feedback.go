package tracestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/steady-voice/steady"
)

// Feedback is what a person or a scorer said about a call.
type Feedback struct {
	ID        string             `json:"id"` // set by AddFeedback
	CallID    string             `json:"call_id"`
	Reaction  string             `json:"reaction,omitempty"` // "👍", "👎" or ""
	Note      string             `json:"note,omitempty"`     // at most MaxNoteBytes
	Scores    map[string]float64 `json:"scores,omitempty"`
	CreatedAt time.Time          `json:"created_at"` // set by AddFeedback
}

// MaxNoteBytes caps Feedback.Note.
const MaxNoteBytes = 2 << 10

// AddFeedback stores f for the call callID and returns it with its ID and
// CreatedAt set. Invalid feedback (an unknown reaction, a note over
// MaxNoteBytes or not UTF-8, a non-finite score, nothing at all) is Invalid;
// an unknown or purged call is NotFound.
func (s *Store) AddFeedback(ctx context.Context, callID string, f Feedback) (Feedback, error) {
	const op = "tracestore.AddFeedback"
	if err := validFeedback(f); err != nil {
		return Feedback{}, steady.Errorf(steady.Invalid, op, "%w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Feedback{}, steady.Wrap(steady.Internal, op, err)
	}
	f.ID, f.CallID, f.CreatedAt = id.String(), callID, s.opt.Now()
	err = s.guard(ctx, op, func() error {
		return s.write(ctx, func(tx *sql.Tx) error { return insertFeedback(ctx, tx, f) })
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Feedback{}, steady.Errorf(steady.NotFound, op, "no call %q", callID)
	}
	return f, err
}

func validFeedback(f Feedback) error {
	switch {
	case f.Reaction != "" && f.Reaction != "👍" && f.Reaction != "👎":
		return fmt.Errorf("reaction %q is not 👍, 👎 or empty", f.Reaction)
	case len(f.Note) > MaxNoteBytes:
		return fmt.Errorf("note of %d bytes is over %d", len(f.Note), MaxNoteBytes)
	case !utf8.ValidString(f.Note):
		return errors.New("note is not valid UTF-8")
	case f.Reaction == "" && f.Note == "" && len(f.Scores) == 0:
		return errors.New("feedback has no reaction, note or score")
	}
	for name, v := range f.Scores {
		if name == "" || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("score %q = %v: want a name and a finite value", name, v)
		}
	}
	return nil
}

// insertFeedback returns sql.ErrNoRows when the call is not stored.
func insertFeedback(ctx context.Context, tx *sql.Tx, f Feedback) error {
	var seq int64
	err := tx.QueryRowContext(ctx, `SELECT seq FROM calls WHERE call_id = ?`, f.CallID).Scan(&seq)
	if err != nil {
		return err
	}
	var scores any // NULL when none
	if len(f.Scores) > 0 {
		b, err := json.Marshal(f.Scores)
		if err != nil {
			return err
		}
		scores = string(b)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO feedback (id, seq, reaction, note, scores, created_at)
		VALUES (?,?,?,?,?,?)`, f.ID, seq, f.Reaction, f.Note, scores, f.CreatedAt.UnixNano())
	return err
}

// attachFeedback fills the Feedback of calls, whose seqs are seqs.
func (s *Store) attachFeedback(ctx context.Context, calls []Call, seqs []int64) error {
	if len(calls) == 0 {
		return nil
	}
	index := make(map[int64]int, len(seqs))
	for i, seq := range seqs {
		index[seq] = i
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT f.seq, f.id, f.reaction, f.note, f.scores, f.created_at
		FROM feedback f JOIN calls c ON c.seq = f.seq
		WHERE c.trace_id = ? ORDER BY f.seq, f.created_at, f.id`, calls[0].TraceID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		f, err := scanFeedback(rows, &seq)
		if err != nil {
			return err
		}
		if i, ok := index[seq]; ok {
			f.CallID = calls[i].CallID
			calls[i].Feedback = append(calls[i].Feedback, f)
		}
	}
	return rows.Err()
}

func scanFeedback(rows *sql.Rows, seq *int64) (Feedback, error) {
	var f Feedback
	var scores sql.NullString
	var created int64
	if err := rows.Scan(seq, &f.ID, &f.Reaction, &f.Note, &scores, &created); err != nil {
		return Feedback{}, err
	}
	f.CreatedAt = time.Unix(0, created)
	if scores.Valid {
		if err := json.Unmarshal([]byte(scores.String), &f.Scores); err != nil {
			return Feedback{}, fmt.Errorf("feedback %s: scores: %w", f.ID, err)
		}
	}
	return f, nil
}
