package storetest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// diffs collects the fields in which a record differs from what was
// expected, each as "Field: got X, want Y".
type diffs []string

func (d *diffs) add(field string, got, want any) {
	*d = append(*d, fmt.Sprintf("%s: got %#v, want %#v", field, got, want))
}

func eq[T comparable](d *diffs, field string, got, want T) {
	if got != want {
		d.add(field, got, want)
	}
}

// instant compares times as instants: stores may return another location.
func instant(d *diffs, field string, got, want time.Time) {
	if !got.Equal(want) {
		*d = append(*d, fmt.Sprintf("%s: got %v, want %v", field, got, want))
	}
}

// scores compares exactly: a score must survive the store bit for bit, and
// nil and empty are the same.
func scores(d *diffs, field string, got, want map[string]float64) {
	if len(got) != len(want) || !maps.Equal(got, want) {
		d.add(field, got, want)
	}
}

// vector compares bit for bit, so that a store that rounds through float64
// text or loses precision is caught.
func vector(d *diffs, field string, got, want []float32) {
	if len(got) != len(want) {
		*d = append(*d, fmt.Sprintf("%s: got %d dimensions, want %d", field, len(got), len(want)))
		return
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			*d = append(*d, fmt.Sprintf("%s[%d]: got %v, want %v", field, i, got[i], want[i]))
			return
		}
	}
}

// rawJSON compares by meaning: a store may re-encode JSON (compact it,
// escape HTML), but must not change what it says.
func rawJSON(d *diffs, field string, got, want json.RawMessage) {
	if len(want) == 0 || len(got) == 0 {
		if len(got) != len(want) {
			d.add(field, string(got), string(want))
		}
		return
	}
	var g, w any
	errG, errW := json.Unmarshal(got, &g), json.Unmarshal(want, &w)
	if errG != nil || errW != nil || !reflect.DeepEqual(g, w) {
		d.add(field, string(got), string(want))
	}
}

// strs compares string slices; nil and empty are the same.
func strs(d *diffs, field string, got, want []string) {
	if !slices.Equal(got, want) {
		d.add(field, got, want)
	}
}

func diffIntervention(got, want memory.Intervention) diffs {
	var d diffs
	eq(&d, "ID", got.ID, want.ID)
	eq(&d, "UserID", got.UserID, want.UserID)
	eq(&d, "SessionID", got.SessionID, want.SessionID)
	eq(&d, "Tool", got.Tool, want.Tool)
	eq(&d, "Category", got.Category, want.Category)
	eq(&d, "Context", got.Context, want.Context)
	eq(&d, "Text", got.Text, want.Text)
	eq(&d, "Task", got.Task, want.Task)
	rawJSON(&d, "Args", got.Args, want.Args)
	eq(&d, "Outcome", got.Outcome, want.Outcome)
	scores(&d, "Scores", got.Scores, want.Scores)
	instant(&d, "CreatedAt", got.CreatedAt, want.CreatedAt)
	instant(&d, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	eq(&d, "TraceID", got.TraceID, want.TraceID)
	eq(&d, "CallID", got.CallID, want.CallID)
	vector(&d, "Embedding", got.Embedding, want.Embedding)
	eq(&d, "Embedder", got.Embedder, want.Embedder)
	return d
}

func diffCandidate(got, want memory.Candidate) diffs {
	var d diffs
	eq(&d, "ID", got.ID, want.ID)
	eq(&d, "Tool", got.Tool, want.Tool)
	eq(&d, "Category", got.Category, want.Category)
	eq(&d, "Outcome", got.Outcome, want.Outcome)
	scores(&d, "Scores", got.Scores, want.Scores)
	instant(&d, "CreatedAt", got.CreatedAt, want.CreatedAt)
	instant(&d, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	eq(&d, "Embedder", got.Embedder, want.Embedder)
	vector(&d, "Vector", got.Vector, want.Vector)
	return d
}

func diffReflection(got, want memory.Reflection) diffs {
	var d diffs
	eq(&d, "ID", got.ID, want.ID)
	eq(&d, "UserID", got.UserID, want.UserID)
	eq(&d, "SessionID", got.SessionID, want.SessionID)
	eq(&d, "Insight", got.Insight, want.Insight)
	eq(&d, "Summary", got.Summary, want.Summary)
	instant(&d, "CreatedAt", got.CreatedAt, want.CreatedAt)
	instant(&d, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	return d
}

func diffProfile(got, want memory.Profile) diffs {
	var d diffs
	eq(&d, "UserID", got.UserID, want.UserID)
	eq(&d, "Diagnosis", got.Diagnosis, want.Diagnosis)
	eq(&d, "DiagnosisSource", got.DiagnosisSource, want.DiagnosisSource)
	eq(&d, "OnboardingComplete", got.OnboardingComplete, want.OnboardingComplete)
	eq(&d, "PreferredCheckinInterval", got.PreferredCheckinInterval, want.PreferredCheckinInterval)
	strs(&d, "SensorySensitivities", got.SensorySensitivities, want.SensorySensitivities)
	if len(got.Preferences) != len(want.Preferences) || !maps.Equal(got.Preferences, want.Preferences) {
		d.add("Preferences", got.Preferences, want.Preferences)
	}
	instant(&d, "CreatedAt", got.CreatedAt, want.CreatedAt)
	instant(&d, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	return d
}

func diffSession(got, want memory.SessionState) diffs {
	var d diffs
	eq(&d, "UserID", got.UserID, want.UserID)
	eq(&d, "SessionID", got.SessionID, want.SessionID)
	eq(&d, "Task", got.Task, want.Task)
	strs(&d, "Steps", got.Steps, want.Steps)
	eq(&d, "CurrentStep", got.CurrentStep, want.CurrentStep)
	if !slices.EqualFunc(got.Checkins, want.Checkins, sameCheckin) {
		d.add("Checkins", got.Checkins, want.Checkins)
	}
	if !slices.EqualFunc(got.Wins, want.Wins, sameWin) {
		d.add("Wins", got.Wins, want.Wins)
	}
	instant(&d, "LastCheckin", got.LastCheckin, want.LastCheckin)
	instant(&d, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	instant(&d, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	eq(&d, "Version", got.Version, want.Version)
	return d
}

func sameCheckin(a, b memory.Checkin) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.Message == b.Message && a.Due.Equal(b.Due) && a.Fired == b.Fired
}

func sameWin(a, b memory.Win) bool {
	return a.Description == b.Description && a.Category == b.Category && a.At.Equal(b.At)
}

// report fails the test with each difference, prefixed with what was read.
func (f *fixture) report(what string, d diffs) {
	f.Helper()
	for _, line := range d {
		f.Errorf("%s: %s", what, line)
	}
}

// checkInterventions compares a list of records, in order.
func (f *fixture) checkInterventions(what string, got, want []memory.Intervention) {
	f.Helper()
	if g, w := ivIDs(got), ivIDs(want); !slices.Equal(g, w) {
		f.Errorf("%s: got ids %v, want %v", what, g, w)
		return
	}
	for i := range got {
		f.report(fmt.Sprintf("%s[%d]", what, i), diffIntervention(got[i], want[i]))
	}
}

// checkCandidates compares candidates in any order: the contract gives none.
func (f *fixture) checkCandidates(what string, got []memory.Candidate, want []memory.Intervention) {
	f.Helper()
	got = slices.SortedFunc(slices.Values(got), func(a, b memory.Candidate) int { return cmp.Compare(a.ID, b.ID) })
	want = slices.SortedFunc(slices.Values(want), func(a, b memory.Intervention) int { return cmp.Compare(a.ID, b.ID) })
	gotIDs := make([]string, len(got))
	for i, c := range got {
		gotIDs[i] = c.ID
	}
	if w := ivIDs(want); !slices.Equal(gotIDs, w) {
		f.Errorf("%s: got ids %v, want %v", what, gotIDs, w)
		return
	}
	for i := range got {
		f.report(fmt.Sprintf("%s[%s]", what, got[i].ID), diffCandidate(got[i], candidateOf(want[i])))
	}
}

func (f *fixture) checkReflections(what string, got, want []memory.Reflection) {
	f.Helper()
	if g, w := reflIDs(got), reflIDs(want); !slices.Equal(g, w) {
		f.Errorf("%s: got ids %v, want %v", what, g, w)
		return
	}
	for i := range got {
		f.report(fmt.Sprintf("%s[%d]", what, i), diffReflection(got[i], want[i]))
	}
}

func ivIDs(ivs []memory.Intervention) []string {
	ids := make([]string, len(ivs))
	for i, iv := range ivs {
		ids[i] = iv.ID
	}
	return ids
}

func reflIDs(rs []memory.Reflection) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

// wantCode checks that err is a *steady.Error with code.
func (f *fixture) wantCode(what string, err error, code steady.Code) {
	f.Helper()
	var se *steady.Error
	switch {
	case err == nil:
		f.Errorf("%s: got no error, want code %q", what, code)
	case !errors.As(err, &se):
		f.Errorf("%s: got error %v of type %T, want a *steady.Error with code %q", what, err, err, code)
	case se.Code != code:
		f.Errorf("%s: got error %v (code %q), want code %q", what, err, se.Code, code)
	}
}
