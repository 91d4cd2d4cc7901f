package memory

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/steady-voice/steady"
)

// Reflect stores an insight from the end of a session. The service sets ID,
// CreatedAt and ExpiresAt.
func (s *Service) Reflect(ctx context.Context, r Reflection) (Reflection, error) {
	return traced(ctx, "memory.reflect", r.UserID, r, same[Reflection],
		func(ctx context.Context) (Reflection, error) { return s.reflect(ctx, r) })
}

func (s *Service) reflect(ctx context.Context, r Reflection) (Reflection, error) {
	const op = "memory.Reflect"
	errs := []error{
		checkID(op, "user id", r.UserID),
		checkID(op, "session id", r.SessionID),
		checkText(op, "insight", r.Insight, MaxInsightBytes, true),
		checkText(op, "summary", r.Summary, 4*MaxSummaryRunes, false),
	}
	if n := utf8.RuneCountInString(r.Summary); n > MaxSummaryRunes {
		errs = append(errs, invalid(op, "summary has %d characters, the limit is %d", n, MaxSummaryRunes))
	}
	if err := errors.Join(errs...); err != nil {
		return Reflection{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Reflection{}, steady.Wrap(steady.Internal, op, err)
	}
	now := s.now().UTC().Truncate(timeUnit)
	r.ID, r.CreatedAt, r.ExpiresAt = id.String(), now, now.Add(s.reflTTL)
	if err := s.store.PutReflection(ctx, r); err != nil {
		return Reflection{}, err
	}
	return r, nil
}

// Reflections lists the user's reflections, newest first; limit ≤ 0 means
// all of them.
func (s *Service) Reflections(ctx context.Context, userID string, limit int) ([]Reflection, error) {
	in := map[string]any{"user_id": userID, "limit": limit}
	return traced(ctx, "memory.reflections", userID, in, same[[]Reflection],
		func(ctx context.Context) ([]Reflection, error) {
			if err := checkID("memory.Reflections", "user id", userID); err != nil {
				return nil, err
			}
			return s.store.ListReflections(ctx, userID, limit)
		})
}

// DefaultCheckinInterval is the check-in interval, in minutes, of a new
// profile.
const DefaultCheckinInterval = 3

// Profile returns the user's profile, or NotFound if the user has none yet.
func (s *Service) Profile(ctx context.Context, userID string) (Profile, error) {
	return traced(ctx, "memory.profile", userID, map[string]any{"user_id": userID}, same[Profile],
		func(ctx context.Context) (Profile, error) {
			if err := checkID("memory.Profile", "user id", userID); err != nil {
				return Profile{}, err
			}
			return s.store.GetProfile(ctx, userID)
		})
}

// ProfileUpdate holds the profile fields to set, as the API takes them;
// nil fields keep their value. Apply is a change for UpdateProfile.
type ProfileUpdate struct {
	Diagnosis                *Diagnosis         `json:"diagnosis,omitempty"`
	DiagnosisSource          *DiagnosisSource   `json:"diagnosis_source,omitempty"`
	OnboardingComplete       *bool              `json:"onboarding_complete,omitempty"`
	PreferredCheckinInterval *int               `json:"preferred_checkin_interval,omitempty"`
	SensorySensitivities     *[]string          `json:"sensory_sensitivities,omitempty"`
	Preferences              *map[string]string `json:"preferences,omitempty"`
}

// Apply sets the fields given; UpdateProfile validates the result.
func (u ProfileUpdate) Apply(p *Profile) error {
	set(&p.Diagnosis, u.Diagnosis)
	set(&p.DiagnosisSource, u.DiagnosisSource)
	set(&p.OnboardingComplete, u.OnboardingComplete)
	set(&p.PreferredCheckinInterval, u.PreferredCheckinInterval)
	set(&p.SensorySensitivities, u.SensorySensitivities)
	set(&p.Preferences, u.Preferences)
	return nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// UpdateProfile applies change to the user's profile — a new one with the
// defaults if the user has none — validates the result and stores it.
func (s *Service) UpdateProfile(ctx context.Context, userID string, change func(*Profile) error) (Profile, error) {
	return traced(ctx, "memory.update_profile", userID, map[string]any{"user_id": userID}, same[Profile],
		func(ctx context.Context) (Profile, error) { return s.updateProfile(ctx, userID, change) })
}

func (s *Service) updateProfile(ctx context.Context, userID string, change func(*Profile) error) (Profile, error) {
	const op = "memory.UpdateProfile"
	if err := checkID(op, "user id", userID); err != nil {
		return Profile{}, err
	}
	p, err := s.store.GetProfile(ctx, userID)
	now := s.now().UTC().Truncate(timeUnit)
	switch {
	case steady.Is(err, steady.NotFound):
		p = Profile{UserID: userID, Diagnosis: DiagnosisNone, DiagnosisSource: SourceUnspecified,
			PreferredCheckinInterval: DefaultCheckinInterval, CreatedAt: now}
	case err != nil:
		return Profile{}, err
	}
	if err := change(&p); err != nil {
		return Profile{}, steady.Wrap(steady.Invalid, op, err)
	}
	p.UserID, p.UpdatedAt = userID, now
	if err := checkProfile(op, p); err != nil {
		return Profile{}, err
	}
	if err := s.store.PutProfile(ctx, p); err != nil {
		return Profile{}, err
	}
	return p, nil
}

func checkProfile(op string, p Profile) error {
	var errs []error
	switch p.Diagnosis {
	case DiagnosisNone, DiagnosisADHD, DiagnosisAutism, DiagnosisBoth:
	default:
		errs = append(errs, invalid(op, "diagnosis %q: want NONE, ADHD, AUTISM or BOTH", clip(string(p.Diagnosis))))
	}
	switch p.DiagnosisSource {
	case SourceOfficial, SourceSelf, SourceUnspecified:
	default:
		errs = append(errs, invalid(op, "diagnosis source %q: want OFFICIAL, SELF or UNSPECIFIED", clip(string(p.DiagnosisSource))))
	}
	if p.PreferredCheckinInterval < 1 || p.PreferredCheckinInterval > 240 {
		errs = append(errs, invalid(op, "check-in interval %d minutes: want 1–240", p.PreferredCheckinInterval))
	}
	if len(p.SensorySensitivities) > 32 || len(p.Preferences) > 64 {
		errs = append(errs, invalid(op, "at most 32 sensory sensitivities and 64 preferences"))
	}
	for _, v := range p.SensorySensitivities {
		errs = append(errs, checkText(op, "sensory sensitivity", v, 200, true))
	}
	for k, v := range p.Preferences {
		errs = append(errs, checkText(op, "preference name", k, 64, true), checkText(op, "preference "+clip(k), v, 1000, false))
	}
	return errors.Join(errs...)
}

// Session returns the tools' state for one session of the user: an empty
// state (Version 0) if there is none yet.
func (s *Service) Session(ctx context.Context, userID, sessionID string) (SessionState, error) {
	const op = "memory.Session"
	if err := errors.Join(checkID(op, "user id", userID), checkID(op, "session id", sessionID)); err != nil {
		return SessionState{}, err
	}
	st, err := s.store.GetSession(ctx, userID, sessionID)
	if steady.Is(err, steady.NotFound) {
		return SessionState{UserID: userID, SessionID: sessionID}, nil
	}
	return st, err
}

// maxSessionRetries bounds UpdateSession's optimistic retries; only a burst
// of concurrent writers to one session can exhaust it. Between retries a
// writer waits a random moment that grows with each loss, so writers that
// collided spread out instead of colliding again.
const maxSessionRetries = 32

// UpdateSession applies change to the session's state and stores it,
// retrying on a concurrent write so no update is lost. The state lives
// SessionTTL after its last update.
func (s *Service) UpdateSession(ctx context.Context, userID, sessionID string, change func(*SessionState) error) (SessionState, error) {
	return s.updateSession(ctx, userID, sessionID, nil, change)
}

// UpdateSessionFrom is UpdateSession for a caller that has just read st
// with Session: the first attempt applies change to st (which it takes
// over) instead of reading the state again, saving a round trip. If st is
// stale by then, the store refuses the write on its version, and the
// retries read afresh, so a concurrent update is no more lost than with
// UpdateSession.
func (s *Service) UpdateSessionFrom(ctx context.Context, st SessionState, change func(*SessionState) error) (SessionState, error) {
	return s.updateSession(ctx, st.UserID, st.SessionID, &st, change)
}

func (s *Service) updateSession(ctx context.Context, userID, sessionID string, known *SessionState, change func(*SessionState) error) (SessionState, error) {
	const op = "memory.UpdateSession"
	if err := errors.Join(checkID(op, "user id", userID), checkID(op, "session id", sessionID)); err != nil {
		return SessionState{}, err
	}
	for attempt := range maxSessionRetries {
		st, err := s.attemptState(ctx, userID, sessionID, attempt, known)
		if err != nil {
			return SessionState{}, err
		}
		if err := change(&st); err != nil {
			return SessionState{}, steady.Wrap(steady.Invalid, op, err)
		}
		now := s.now().UTC().Truncate(timeUnit)
		st.UserID, st.SessionID, st.UpdatedAt, st.ExpiresAt = userID, sessionID, now, now.Add(s.sessTTL)
		stored, err := s.store.PutSession(ctx, st)
		if !steady.Is(err, steady.Conflict) {
			return stored, err
		}
	}
	return SessionState{}, steady.Errorf(steady.Conflict, op, "session %s kept changing; try again", sessionID)
}

// attemptState is the state an update attempt starts from: the known one
// first, a fresh read after a conflict, once backoff has waited.
func (s *Service) attemptState(ctx context.Context, userID, sessionID string, attempt int, known *SessionState) (SessionState, error) {
	if attempt == 0 && known != nil {
		return *known, nil
	}
	if attempt > 0 {
		if err := backoff(ctx, attempt); err != nil {
			return SessionState{}, err
		}
	}
	return s.Session(ctx, userID, sessionID)
}

func isNotFound(err error) bool { return steady.Is(err, steady.NotFound) }

// backoff sleeps a random time below attempt × 200 µs, or until ctx ends.
func backoff(ctx context.Context, attempt int) error {
	t := time.NewTimer(time.Duration(rand.Int64N(int64(attempt) * int64(200*time.Microsecond))))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
