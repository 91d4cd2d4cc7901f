package storetest_test

import (
	"bytes"
	"cmp"
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/storetest"
)

// TestSuiteOnReferenceStore checks the suite itself: a store as simple as
// possible, and obviously correct, must pass it.
func TestSuiteOnReferenceStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) memory.Store {
		s := newMapStore(now)
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// mapStore is a reference memory.Store on maps under one mutex. It exists
// only to validate the suite; the project never uses it in place of a real
// store. It keeps expired records and hides them by the clock, and copies
// everything in and out, so no caller shares its maps or slices.
type mapStore struct {
	now      func() time.Time
	mu       sync.Mutex
	ivs      map[key]memory.Intervention
	refls    map[key]memory.Reflection
	profiles map[string]memory.Profile
	sessions map[key]memory.SessionState
}

// key scopes every record by user: a pair, never a joined string.
type key struct{ user, id string }

var _ memory.Store = (*mapStore)(nil)

func newMapStore(now func() time.Time) *mapStore {
	return &mapStore{
		now:      now,
		ivs:      map[key]memory.Intervention{},
		refls:    map[key]memory.Reflection{},
		profiles: map[string]memory.Profile{},
		sessions: map[key]memory.SessionState{},
	}
}

func (s *mapStore) live(expiresAt time.Time) bool { return s.now().Before(expiresAt) }

func cloneIV(iv memory.Intervention) memory.Intervention {
	iv.Args = bytes.Clone(iv.Args)
	iv.Scores = maps.Clone(iv.Scores)
	iv.Embedding = slices.Clone(iv.Embedding)
	return iv
}

func (s *mapStore) PutIntervention(_ context.Context, iv memory.Intervention) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{iv.UserID, iv.ID}
	if old, ok := s.ivs[k]; ok && s.live(old.ExpiresAt) {
		return steady.Errorf(steady.Conflict, "mapstore.PutIntervention", "intervention %s exists", iv.ID)
	}
	s.ivs[k] = cloneIV(iv)
	return nil
}

func (s *mapStore) GetInterventions(_ context.Context, userID string, ids []string) ([]memory.Intervention, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []memory.Intervention
	for _, id := range ids {
		if iv, ok := s.ivs[key{userID, id}]; ok && s.live(iv.ExpiresAt) {
			out = append(out, cloneIV(iv))
		}
	}
	return out, nil
}

func (s *mapStore) SetOutcome(_ context.Context, userID, id string, outcome memory.Outcome, scores map[string]float64) (memory.Intervention, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{userID, id}
	iv, ok := s.ivs[k]
	if !ok || !s.live(iv.ExpiresAt) {
		return memory.Intervention{}, steady.Errorf(steady.NotFound, "mapstore.SetOutcome", "no intervention %s", id)
	}
	iv = cloneIV(iv)
	if iv.Scores == nil && len(scores) > 0 {
		iv.Scores = map[string]float64{}
	}
	maps.Copy(iv.Scores, scores)
	iv.Outcome = outcome
	s.ivs[k] = iv
	return cloneIV(iv), nil
}

// liveIVs returns the user's live interventions, newest first.
func (s *mapStore) liveIVs(userID string) []memory.Intervention {
	var out []memory.Intervention
	for k, iv := range s.ivs {
		if k.user == userID && s.live(iv.ExpiresAt) {
			out = append(out, iv)
		}
	}
	slices.SortFunc(out, func(a, b memory.Intervention) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}

func (s *mapStore) ListInterventions(_ context.Context, userID, cursor string, limit int) ([]memory.Intervention, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.liveIVs(userID)
	if cursor != "" {
		at, id, err := memory.DecodeCursor(userID, cursor)
		if err != nil {
			return nil, "", err
		}
		all = slices.DeleteFunc(all, func(iv memory.Intervention) bool {
			return !iv.CreatedAt.Before(at) && !(iv.CreatedAt.Equal(at) && iv.ID < id)
		})
	}
	if len(all) <= limit {
		return cloneAll(all), "", nil
	}
	page := all[:limit]
	last := page[len(page)-1]
	return cloneAll(page), memory.EncodeCursor(userID, last.CreatedAt, last.ID), nil
}

func cloneAll(ivs []memory.Intervention) []memory.Intervention {
	out := make([]memory.Intervention, len(ivs))
	for i, iv := range ivs {
		out[i] = cloneIV(iv)
	}
	return out
}

func (s *mapStore) Candidates(_ context.Context, userID string) ([]memory.Candidate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []memory.Candidate
	for _, iv := range s.liveIVs(userID) {
		out = append(out, memory.Candidate{
			ID: iv.ID, Tool: iv.Tool, Category: iv.Category, Outcome: iv.Outcome,
			Scores: maps.Clone(iv.Scores), CreatedAt: iv.CreatedAt, ExpiresAt: iv.ExpiresAt,
			Embedder: iv.Embedder, Vector: slices.Clone(iv.Embedding),
		})
	}
	return out, nil
}

func (s *mapStore) PutReflection(_ context.Context, r memory.Reflection) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{r.UserID, r.ID}
	if old, ok := s.refls[k]; ok && s.live(old.ExpiresAt) {
		return steady.Errorf(steady.Conflict, "mapstore.PutReflection", "reflection %s exists", r.ID)
	}
	s.refls[k] = r
	return nil
}

func (s *mapStore) ListReflections(_ context.Context, userID string, limit int) ([]memory.Reflection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []memory.Reflection
	for k, r := range s.refls {
		if k.user == userID && s.live(r.ExpiresAt) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b memory.Reflection) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func cloneProfile(p memory.Profile) memory.Profile {
	p.SensorySensitivities = slices.Clone(p.SensorySensitivities)
	p.Preferences = maps.Clone(p.Preferences)
	return p
}

func (s *mapStore) GetProfile(_ context.Context, userID string) (memory.Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.profiles[userID]
	if !ok {
		return memory.Profile{}, steady.Errorf(steady.NotFound, "mapstore.GetProfile", "no profile")
	}
	return cloneProfile(p), nil
}

func (s *mapStore) PutProfile(_ context.Context, p memory.Profile) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles[p.UserID] = cloneProfile(p)
	return nil
}

func cloneSession(st memory.SessionState) memory.SessionState {
	st.Steps = slices.Clone(st.Steps)
	st.Checkins = slices.Clone(st.Checkins)
	st.Wins = slices.Clone(st.Wins)
	return st
}

func (s *mapStore) GetSession(_ context.Context, userID, sessionID string) (memory.SessionState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.sessions[key{userID, sessionID}]
	if !ok || !s.live(st.ExpiresAt) {
		return memory.SessionState{}, steady.Errorf(steady.NotFound, "mapstore.GetSession", "no session")
	}
	return cloneSession(st), nil
}

func (s *mapStore) PutSession(_ context.Context, st memory.SessionState) (memory.SessionState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{st.UserID, st.SessionID}
	var stored int64
	if old, ok := s.sessions[k]; ok && s.live(old.ExpiresAt) {
		stored = old.Version
	}
	if st.Version != stored {
		return memory.SessionState{}, steady.Errorf(steady.Conflict, "mapstore.PutSession", "version %d, stored %d", st.Version, stored)
	}
	st = cloneSession(st)
	st.Version++
	s.sessions[k] = st
	return cloneSession(st), nil
}

func (s *mapStore) Forget(_ context.Context, userID string) (memory.Forgotten, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var f memory.Forgotten
	f.Interventions = deleteUser(s.ivs, userID)
	f.Reflections = deleteUser(s.refls, userID)
	f.Sessions = deleteUser(s.sessions, userID)
	if _, ok := s.profiles[userID]; ok {
		delete(s.profiles, userID)
		f.Profiles = 1
	}
	return f, nil
}

func deleteUser[V any](m map[key]V, userID string) int {
	n := 0
	for k := range m {
		if k.user == userID {
			delete(m, k)
			n++
		}
	}
	return n
}

func (s *mapStore) Totals(context.Context) (memory.Totals, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t memory.Totals
	users := map[string]bool{}
	for k, iv := range s.ivs {
		if s.live(iv.ExpiresAt) {
			t.Interventions++
			users[k.user] = true
		}
	}
	for k, r := range s.refls {
		if s.live(r.ExpiresAt) {
			t.Reflections++
			users[k.user] = true
		}
	}
	for k, st := range s.sessions {
		if s.live(st.ExpiresAt) {
			t.Sessions++
			users[k.user] = true
		}
	}
	for user := range s.profiles {
		t.Profiles++
		users[user] = true
	}
	t.Users = len(users)
	t.Tools, t.Daily = s.usage()
	return t, nil
}

// usage tallies the live interventions by tool and by day of creation.
func (s *mapStore) usage() ([]memory.ToolTotals, []memory.DayCount) {
	days, start := memory.GrowthDaysUntil(s.now())
	byTool := map[string]*memory.ToolTotals{}
	sums := map[string]float64{}
	for _, iv := range s.ivs {
		if !s.live(iv.ExpiresAt) {
			continue
		}
		t := byTool[iv.Tool]
		if t == nil {
			t = &memory.ToolTotals{Tool: iv.Tool}
			byTool[iv.Tool] = t
		}
		t.Uses++
		if iv.Outcome.Successful() {
			t.Successes++
		}
		if v, ok := iv.Scores[memory.Effectiveness]; ok {
			t.Scored++
			sums[iv.Tool] += v
		}
		for i := range days {
			if d := start.AddDate(0, 0, i); !iv.CreatedAt.Before(d) && iv.CreatedAt.Before(d.AddDate(0, 0, 1)) {
				days[i].Count++
			}
		}
	}
	tools := []memory.ToolTotals{}
	for name, t := range byTool {
		if t.Scored > 0 {
			mean := sums[name] / float64(t.Scored)
			t.MeanEffectiveness = &mean
		}
		tools = append(tools, *t)
	}
	memory.SortTools(tools)
	return tools, days
}

func (s *mapStore) Ping(context.Context) error { return nil }

func (s *mapStore) Close() error { return nil }
