// Package memory is Steady's memory and self-improvement layer: it answers
// "what worked before, and how do we use it?". It stores interventions with
// embeddings, searches a user's past interventions by similarity, builds
// context for the model's prompt, keeps session reflections, user profiles
// and per-session tool state, and lets all of it decay.
//
// It never traces, scores or measures latency: the observability layer does
// that, and writes its scores back here with SetOutcome.
//
// Every record belongs to exactly one user, and no operation ever returns or
// touches a record of another user.
package memory

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Category groups the support tools.
type Category string

const (
	Task      Category = "task"
	Feedback  Category = "feedback"
	Emotional Category = "emotional"
)

// Outcome is what happened after an intervention.
type Outcome string

const (
	Pending             Outcome = "pending"
	InterventionApplied Outcome = "intervention_applied"
	TaskStarted         Outcome = "task_started"
	TaskProgress        Outcome = "task_progress"
	TaskCompleted       Outcome = "task_completed"
	ReEngaged           Outcome = "re_engaged"
	Distracted          Outcome = "distracted"
	Abandoned           Outcome = "abandoned"
)

// Outcomes lists every valid outcome.
var Outcomes = []Outcome{Pending, InterventionApplied, TaskStarted, TaskProgress, TaskCompleted, ReEngaged, Distracted, Abandoned}

// Successful reports whether the outcome means the intervention helped.
func (o Outcome) Successful() bool { return o == TaskCompleted || o == ReEngaged }

// Intervention is one thing the agent did for a user, in a situation.
type Intervention struct {
	ID        string             `json:"id"` // UUIDv7, so ids sort by creation time
	UserID    string             `json:"user_id"`
	SessionID string             `json:"session_id"`
	Tool      string             `json:"tool"`
	Category  Category           `json:"category"`
	Context   string             `json:"context"` // what the user said, their situation
	Text      string             `json:"text"`    // what the agent did or said
	Task      string             `json:"task,omitempty"`
	Args      json.RawMessage    `json:"args,omitempty"`
	Outcome   Outcome            `json:"outcome"`
	Scores    map[string]float64 `json:"scores,omitempty"` // e.g. "effectiveness": 0.8
	CreatedAt time.Time          `json:"created_at"`
	ExpiresAt time.Time          `json:"expires_at"`
	TraceID   string             `json:"trace_id,omitempty"` // links into the observability layer
	CallID    string             `json:"call_id,omitempty"`
	Embedding []float32          `json:"embedding,omitempty"`
	Embedder  string             `json:"embedder,omitempty"` // embed.Embedder.Name() of Embedding
}

// Candidate is the part of an intervention that search ranks on. Stores
// return them in bulk, shared with their cache: read-only (see
// Store.Candidates).
type Candidate struct {
	ID        string
	Tool      string
	Category  Category
	Outcome   Outcome
	Scores    map[string]float64
	CreatedAt time.Time
	ExpiresAt time.Time
	Embedder  string
	Vector    []float32
}

// Reflection is an insight kept from the end of a session.
type Reflection struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	SessionID string    `json:"session_id"`
	Insight   string    `json:"insight"`
	Summary   string    `json:"summary,omitempty"` // at most MaxSummaryRunes
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Diagnosis is what the user told Steady about themselves.
type Diagnosis string

const (
	DiagnosisNone   Diagnosis = "NONE"
	DiagnosisADHD   Diagnosis = "ADHD"
	DiagnosisAutism Diagnosis = "AUTISM"
	DiagnosisBoth   Diagnosis = "BOTH"
)

// DiagnosisSource is how the diagnosis was made.
type DiagnosisSource string

const (
	SourceOfficial    DiagnosisSource = "OFFICIAL"
	SourceSelf        DiagnosisSource = "SELF"
	SourceUnspecified DiagnosisSource = "UNSPECIFIED"
)

// Profile is a user's lasting preferences. It never expires.
type Profile struct {
	UserID                   string            `json:"user_id"`
	Diagnosis                Diagnosis         `json:"diagnosis"`
	DiagnosisSource          DiagnosisSource   `json:"diagnosis_source"`
	OnboardingComplete       bool              `json:"onboarding_complete"`
	PreferredCheckinInterval int               `json:"preferred_checkin_interval"` // minutes
	SensorySensitivities     []string          `json:"sensory_sensitivities,omitempty"`
	Preferences              map[string]string `json:"preferences,omitempty"`
	CreatedAt                time.Time         `json:"created_at"`
	UpdatedAt                time.Time         `json:"updated_at"`
}

// AdaptationIntensity is how strongly Steady adapts its style to the
// diagnosis: not at all without one, fully for an official one, and a little
// less when self-identified or unspecified.
func (p Profile) AdaptationIntensity() float64 {
	if p.Diagnosis == DiagnosisNone || p.Diagnosis == "" {
		return 0
	}
	switch p.DiagnosisSource {
	case SourceOfficial:
		return 1.0
	case SourceSelf:
		return 0.8
	default:
		return 0.9
	}
}

// SessionState is the support tools' working state for one session of one
// user: the task being broken down, scheduled check-ins and reminders, wins.
type SessionState struct {
	UserID      string    `json:"user_id"`
	SessionID   string    `json:"session_id"`
	Task        string    `json:"task,omitempty"`
	Steps       []string  `json:"steps,omitempty"`
	CurrentStep int       `json:"current_step"` // index into Steps; len(Steps) when all done
	Checkins    []Checkin `json:"checkins,omitempty"`
	Wins        []Win     `json:"wins,omitempty"`
	LastCheckin time.Time `json:"last_checkin,omitzero"`
	UpdatedAt   time.Time `json:"updated_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	// Version increases with every write; PutSession uses it to refuse a
	// write based on a stale read.
	Version int64 `json:"version"`
}

// Checkin is a scheduled check-in or reminder.
type Checkin struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"` // "checkin" or "reminder"
	Message string    `json:"message,omitempty"`
	Due     time.Time `json:"due"`
	Fired   bool      `json:"fired,omitempty"`
}

// Win is a logged micro-win.
type Win struct {
	Description string    `json:"description"`
	Category    string    `json:"category,omitempty"`
	At          time.Time `json:"at"`
}

// Totals counts live records across all users, for operators.
type Totals struct {
	Users         int `json:"users"`
	Interventions int `json:"interventions"`
	Reflections   int `json:"reflections"`
	Profiles      int `json:"profiles"`
	Sessions      int `json:"sessions"`
	// Tools tallies the live interventions of every user by tool, most used
	// first, then by name; empty, never nil, when there are none.
	Tools []ToolTotals `json:"tools"`
	// Daily counts the live interventions created on each of the last
	// GrowthDays UTC days, today included, oldest first; a day with none
	// counts 0, so it always holds GrowthDays entries.
	Daily []DayCount `json:"daily"`
}

// ToolTotals is how one tool fared across all users' live interventions.
type ToolTotals struct {
	Tool      string `json:"tool"`
	Uses      int    `json:"uses"`
	Successes int    `json:"successes"` // outcome Successful
	Scored    int    `json:"scored"`    // with an "effectiveness" score
	// MeanEffectiveness is the mean "effectiveness" score of the Scored
	// ones; nil when none is scored.
	MeanEffectiveness *float64 `json:"mean_effectiveness"`
}

// DayCount is how many interventions were created on one UTC day.
type DayCount struct {
	Day   string `json:"day"` // "2006-01-02"
	Count int    `json:"count"`
}

// GrowthDays is how many days Totals.Daily covers.
const GrowthDays = 30

// Effectiveness is the score name Totals averages per tool.
const Effectiveness = "effectiveness"

// GrowthDaysUntil returns the days of Totals.Daily for the clock reading
// now, all counting 0, and the instant the first of them starts: an
// intervention counts if it was created in [start, start+GrowthDays days).
func GrowthDaysUntil(now time.Time) (days []DayCount, start time.Time) {
	y, m, d := now.UTC().Date()
	start = time.Date(y, m, d-(GrowthDays-1), 0, 0, 0, 0, time.UTC)
	days = make([]DayCount, GrowthDays)
	for i := range days {
		days[i].Day = start.AddDate(0, 0, i).Format(time.DateOnly)
	}
	return days, start
}

// SortTools orders tools as Totals.Tools is: most used first, then by name.
func SortTools(tools []ToolTotals) {
	slices.SortFunc(tools, func(a, b ToolTotals) int {
		return cmp.Or(cmp.Compare(b.Uses, a.Uses), strings.Compare(a.Tool, b.Tool))
	})
}

// Forgotten counts what Forget deleted.
type Forgotten struct {
	Interventions int `json:"interventions"`
	Reflections   int `json:"reflections"`
	Profiles      int `json:"profiles"`
	Sessions      int `json:"sessions"`
}
