package server

import (
	"net/http"
	"slices"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/server/api"
)

func (s *Server) registerMemory() {
	s.handle("GET", "/api/memory/interventions", User, s.listInterventions)
	s.handle("GET", "/api/memory/search", User, s.searchMemory)
	s.handle("POST", "/api/memory/interventions/{id}/outcome", User, s.setOutcome)
	s.handle("GET", "/api/memory/reflections", User, s.listReflections)
	s.handle("GET", "/api/memory/stats", User, s.memoryStats)
	s.handle("DELETE", "/api/memory", User, s.forget)
	s.handle("GET", "/api/profile", User, s.profile)
	s.handle("PUT", "/api/profile", User, s.updateProfile)
}

// InterventionPage is a page of a user's interventions, newest first.
type InterventionPage = api.InterventionPage

type outcomeRequest struct {
	Outcome memory.Outcome     `json:"outcome"`
	Scores  map[string]float64 `json:"scores"`
}

// ProfileUpdate holds the profile fields a user may set; those left out
// keep their value.
type ProfileUpdate = memory.ProfileUpdate

func (s *Server) listInterventions(w http.ResponseWriter, r *http.Request, who Principal) error {
	limit, err := intParam(r.URL.Query(), "limit", 20, 1, memory.MaxK)
	if err != nil {
		return err
	}
	ivs, next, err := s.cfg.Memory.Interventions(r.Context(), who.User.ID, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	for i := range ivs {
		ivs[i] = withoutEmbedding(ivs[i])
	}
	writeJSON(w, http.StatusOK, InterventionPage{Interventions: list(ivs), NextCursor: next})
	return nil
}

func (s *Server) searchMemory(w http.ResponseWriter, r *http.Request, who Principal) error {
	q := r.URL.Query()
	if q.Get("q") == "" {
		return steady.Errorf(steady.Invalid, "server", "q: say what to search for")
	}
	k, err := intParam(q, "k", 3, 1, memory.MaxK)
	if err != nil {
		return err
	}
	all, err := boolParam(q, "all_outcomes")
	if err != nil {
		return err
	}
	matches, err := s.cfg.Memory.Search(r.Context(), who.User.ID, memory.Query{Text: q.Get("q"), K: k, AllOutcomes: all})
	if err != nil {
		return err
	}
	for i := range matches {
		matches[i].Intervention = withoutEmbedding(matches[i].Intervention)
	}
	writeJSON(w, http.StatusOK, struct {
		Matches []memory.Match `json:"matches"`
	}{list(matches)})
	return nil
}

func (s *Server) setOutcome(w http.ResponseWriter, r *http.Request, who Principal) error {
	var req outcomeRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if !slices.Contains(memory.Outcomes, req.Outcome) {
		return steady.Errorf(steady.Invalid, "server", "outcome %q: want one of %v", clip(string(req.Outcome)), memory.Outcomes)
	}
	iv, err := s.cfg.Memory.SetOutcome(r.Context(), who.User.ID, r.PathValue("id"), req.Outcome, req.Scores)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, withoutEmbedding(iv))
	return nil
}

func (s *Server) listReflections(w http.ResponseWriter, r *http.Request, who Principal) error {
	limit, err := intParam(r.URL.Query(), "limit", 20, 1, memory.MaxK)
	if err != nil {
		return err
	}
	refl, err := s.cfg.Memory.Reflections(r.Context(), who.User.ID, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Reflections []memory.Reflection `json:"reflections"`
	}{list(refl)})
	return nil
}

func (s *Server) memoryStats(w http.ResponseWriter, r *http.Request, who Principal) error {
	st, err := s.cfg.Memory.Stats(r.Context(), who.User.ID)
	if err != nil {
		return err
	}
	st.Tools = list(st.Tools)
	writeJSON(w, http.StatusOK, st)
	return nil
}

// forget deletes everything the memory holds of the caller. Their live
// sessions go first, unended (an ending would record a reflection), and
// the recorder is flushed so that nothing queued lands after the delete.
func (s *Server) forget(w http.ResponseWriter, r *http.Request, who Principal) error {
	ended := s.state.sessions.drop(who.User.ID)
	s.flush(r.Context())
	gone, err := s.cfg.Memory.Forget(r.Context(), who.User.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Forgotten{Forgotten: gone, LiveSessions: ended})
	return nil
}

// Forgotten is what forgetting a user deleted.
type Forgotten = api.Forgotten

// profile answers the user's profile, or the defaults a first update
// starts from when they have none yet: a new user has preferences too.
func (s *Server) profile(w http.ResponseWriter, r *http.Request, who Principal) error {
	p, err := s.cfg.Memory.Profile(r.Context(), who.User.ID)
	if steady.Is(err, steady.NotFound) {
		p, err = defaultProfile(who.User.ID), nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func defaultProfile(userID string) memory.Profile {
	return memory.Profile{UserID: userID, Diagnosis: memory.DiagnosisNone,
		DiagnosisSource: memory.SourceUnspecified, PreferredCheckinInterval: memory.DefaultCheckinInterval}
}

func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request, who Principal) error {
	var req ProfileUpdate
	if err := decode(r, &req); err != nil {
		return err
	}
	p, err := s.cfg.Memory.UpdateProfile(r.Context(), who.User.ID, req.Apply)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// withoutEmbedding drops the vector: it is the memory's business, large,
// and says nothing to a person.
func withoutEmbedding(iv memory.Intervention) memory.Intervention {
	iv.Embedding, iv.Embedder = nil, ""
	return iv
}
