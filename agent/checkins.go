package agent

import (
	"context"
	"time"

	"github.com/steady-voice/steady/memory"
)

// Due fires the session's check-ins and reminders that have come due and
// returns them, oldest first, for the caller to deliver (a terminal prints
// them, the server pushes them). Each fires once, even with several callers.
func (a *Agent) Due(ctx context.Context, s *Session) ([]memory.Checkin, error) {
	st, err := a.memory.Session(ctx, s.UserID, s.ID)
	if err != nil || !anyDue(st, a.now()) {
		return nil, err
	}
	var due []memory.Checkin
	now := a.now()
	_, err = a.memory.UpdateSession(ctx, s.UserID, s.ID, func(st *memory.SessionState) error {
		due = DueCheckins(st, now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range due {
		s.Remember(assistantMessage(Reply{Text: c.Message}))
	}
	return due, nil
}

// NextDue is when the session's next check-in or reminder comes due, or
// the zero time when none is pending.
func (a *Agent) NextDue(ctx context.Context, s *Session) (time.Time, error) {
	st, err := a.memory.Session(ctx, s.UserID, s.ID)
	if err != nil {
		return time.Time{}, err
	}
	var next time.Time
	for _, c := range st.Checkins {
		if !c.Fired && (next.IsZero() || c.Due.Before(next)) {
			next = c.Due
		}
	}
	return next, nil
}

func anyDue(st memory.SessionState, now time.Time) bool {
	for _, c := range st.Checkins {
		if !c.Fired && !c.Due.After(now) {
			return true
		}
	}
	return false
}
