package storetest

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/steady-voice/steady/memory"
)

const (
	embedderName = "test/100d"
	dims         = 100

	// The lifetimes the Service gives records; tests that need a record to
	// expire give it a short ttl instead and move the clock past it.
	ivTTL      = 30 * 24 * time.Hour
	reflTTL    = 90 * 24 * time.Hour
	sessionTTL = 24 * time.Hour
	shortTTL   = time.Hour

	// past moves the clock just beyond shortTTL. The suite never tests the
	// exact instant ExpiresAt, where "live until" could be read either way.
	past = shortTTL + ms
	ms   = time.Millisecond
)

var (
	tools      = []string{"break_down_task", "breathing", "grounding", "check_in", "log_win"}
	categories = []memory.Category{memory.Task, memory.Feedback, memory.Emotional}
)

// newID returns a fresh UUIDv7, the kind of id the Service gives records.
func (f *fixture) newID() string {
	f.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		f.Fatalf("uuid.NewV7: %v", err)
	}
	return id.String()
}

// intervention builds an intervention of user with every field set, created
// age before the clock's now and expiring ttl after it. Text fields carry
// quotes, newlines and non-ASCII so that encodings are exercised.
func (f *fixture) intervention(user string, age, ttl time.Duration) memory.Intervention {
	f.Helper()
	n := f.seq.Add(1)
	now := f.clock.Now()
	return memory.Intervention{
		ID:        f.newID(),
		UserID:    user,
		SessionID: fmt.Sprintf("session-%d", n%3),
		Tool:      tools[n%uint64(len(tools))],
		Category:  categories[n%uint64(len(categories))],
		Context:   fmt.Sprintf("I can't start my essay, it's too much — ünï ✓ #%d", n),
		Text:      fmt.Sprintf("Let's take one small step: open the \"essay\" file.\nThen breathe. #%d", n),
		Task:      "write the essay",
		Args:      json.RawMessage(fmt.Sprintf(`{"task":"write the essay","steps":[%d,2,3],"note":"<ok> & ünï","nested":{"x":1.5,"y":null,"z":true}}`, n)),
		Outcome:   memory.Outcomes[n%uint64(len(memory.Outcomes))],
		Scores:    map[string]float64{"effectiveness": 0.8, "third": 1.0 / 3, "seq": float64(n)},
		CreatedAt: now.Add(-age),
		ExpiresAt: now.Add(ttl),
		TraceID:   fmt.Sprintf("%032x", n),
		CallID:    fmt.Sprintf("call-%d", n),
		Embedding: unitVector(n),
		Embedder:  embedderName,
	}
}

// minimal strips iv of every optional field, to check that stores keep
// empty values empty.
func minimal(iv memory.Intervention) memory.Intervention {
	iv.Task, iv.Args, iv.Scores, iv.TraceID, iv.CallID = "", nil, nil, "", ""
	return iv
}

// unitVector returns a deterministic pseudo-random vector of length 1 whose
// components use all of float32's precision.
func unitVector(seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	v := make([]float64, dims)
	var norm float64
	for i := range v {
		v[i] = r.NormFloat64()
		norm += v[i] * v[i]
	}
	out := make([]float32, dims)
	for i := range v {
		out[i] = float32(v[i] / math.Sqrt(norm))
	}
	return out
}

func (f *fixture) reflection(user string, age, ttl time.Duration) memory.Reflection {
	f.Helper()
	n := f.seq.Add(1)
	now := f.clock.Now()
	return memory.Reflection{
		ID:        f.newID(),
		UserID:    user,
		SessionID: fmt.Sprintf("session-%d", n%3),
		Insight:   fmt.Sprintf("Three small steps worked better than one big one — ünï ✓ #%d", n),
		Summary:   fmt.Sprintf("We broke the \"essay\" down.\nIt went well. #%d", n),
		CreatedAt: now.Add(-age),
		ExpiresAt: now.Add(ttl),
	}
}

func (f *fixture) profile(user string) memory.Profile {
	now := f.clock.Now()
	return memory.Profile{
		UserID:                   user,
		Diagnosis:                memory.DiagnosisADHD,
		DiagnosisSource:          memory.SourceSelf,
		OnboardingComplete:       true,
		PreferredCheckinInterval: 15,
		SensorySensitivities:     []string{"noise", "bright light", "ünï"},
		Preferences:              map[string]string{"voice": "calm", "pace": "slow", "ünï": "✓ \"quoted\""},
		CreatedAt:                now.Add(-48 * time.Hour),
		UpdatedAt:                now,
	}
}

// session builds a session state of user with every field set, expiring ttl
// after the clock's now, ready to be created (Version 0).
func (f *fixture) session(user, sessionID string, ttl time.Duration) memory.SessionState {
	now := f.clock.Now()
	return memory.SessionState{
		UserID:      user,
		SessionID:   sessionID,
		Task:        "write the essay — ünï",
		Steps:       []string{"open the file", "write a title", "write one \"sentence\""},
		CurrentStep: 1,
		Checkins: []memory.Checkin{
			{ID: "c1", Kind: "checkin", Message: "How is it going?", Due: now.Add(10 * time.Minute)},
			{ID: "c2", Kind: "reminder", Due: now.Add(-time.Minute), Fired: true},
		},
		Wins:        []memory.Win{{Description: "opened the file", Category: "task", At: now.Add(-5 * time.Minute)}},
		LastCheckin: now.Add(-2 * time.Minute),
		UpdatedAt:   now,
		ExpiresAt:   now.Add(ttl),
	}
}

// candidateOf is the candidate a store must return for iv.
func candidateOf(iv memory.Intervention) memory.Candidate {
	return memory.Candidate{
		ID: iv.ID, Tool: iv.Tool, Category: iv.Category, Outcome: iv.Outcome,
		Scores: iv.Scores, CreatedAt: iv.CreatedAt, ExpiresAt: iv.ExpiresAt,
		Embedder: iv.Embedder, Vector: iv.Embedding,
	}
}

// forUser returns a copy of iv that belongs to user, with its own text, so a
// store that mixes up two users' records with one id shows it.
func forUser(iv memory.Intervention, user string) memory.Intervention {
	iv.UserID = user
	iv.Text = "for " + user + ": " + iv.Text
	iv.Scores = map[string]float64{"owner": float64(len(user))}
	return iv
}
