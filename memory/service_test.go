package memory_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

func TestRecordFillsTheRecord(t *testing.T) {
	f := newFixture(t)
	got := f.record(t, memory.Intervention{Context: "I can't breathe properly, it's too much", Text: "Let's take three slow breaths.",
		Args: json.RawMessage(`{"breaths":3}`), Scores: map[string]float64{"effectiveness": 0.5}})
	id, err := uuid.Parse(got.ID)
	if err != nil || id.Version() != 7 {
		t.Errorf("ID %q: want a UUIDv7", got.ID)
	}
	if !got.CreatedAt.Equal(f.clock.Now()) || !got.ExpiresAt.Equal(f.clock.Now().Add(30*24*time.Hour)) {
		t.Errorf("created %v, expires %v; want now and now+30d", got.CreatedAt, got.ExpiresAt)
	}
	if got.Outcome != memory.Pending || got.Embedder != f.svc.Embedder().Name() || len(got.Embedding) != 100 {
		t.Errorf("outcome %q, embedder %q, %d dims; want pending, %q, 100", got.Outcome, got.Embedder, len(got.Embedding), f.svc.Embedder().Name())
	}
	stored, err := f.svc.Intervention(f.ctx, "alice", got.ID)
	if err != nil || stored.Text != got.Text || string(stored.Args) != `{"breaths":3}` || stored.Scores["effectiveness"] != 0.5 {
		t.Errorf("stored %+v, %v; want what Record returned", stored, err)
	}
}

func TestRecordRejectsBadInput(t *testing.T) {
	f := newFixture(t)
	dims := f.svc.Embedder().Dimensions()
	vec := func(mod func([]float32)) []float32 {
		v := make([]float32, dims)
		v[0] = 1
		mod(v)
		return v
	}
	ok := memory.Intervention{UserID: "bob", SessionID: "s1", Tool: "sensory_check", Category: memory.Emotional, Context: "too loud here"}
	tests := []struct {
		name string
		mod  func(*memory.Intervention)
		want string
	}{
		{"empty user", func(iv *memory.Intervention) { iv.UserID = "" }, "user id"},
		{"long user", func(iv *memory.Intervention) { iv.UserID = strings.Repeat("u", 129) }, "user id"},
		{"user with brace", func(iv *memory.Intervention) { iv.UserID = "a{b}" }, "user id"},
		{"user with star", func(iv *memory.Intervention) { iv.UserID = "*" }, "user id"},
		{"user with colon", func(iv *memory.Intervention) { iv.UserID = "u:1" }, "user id"},
		{"user with question mark", func(iv *memory.Intervention) { iv.UserID = "u?" }, "user id"},
		{"user with brackets", func(iv *memory.Intervention) { iv.UserID = "[u]" }, "user id"},
		{"user with space", func(iv *memory.Intervention) { iv.UserID = "bob smith" }, "user id"},
		{"bad session", func(iv *memory.Intervention) { iv.SessionID = "s 1" }, "session id"},
		{"empty context", func(iv *memory.Intervention) { iv.Context = "  " }, "context is empty"},
		{"huge context", func(iv *memory.Intervention) { iv.Context = strings.Repeat("a", memory.MaxContextBytes+1) }, "context has"},
		{"invalid utf-8", func(iv *memory.Intervention) { iv.Context = "ok \xff" }, "UTF-8"},
		{"bad tool", func(iv *memory.Intervention) { iv.Tool = "Drop Table" }, "tool"},
		{"unknown category", func(iv *memory.Intervention) { iv.Category = "sleep" }, "category"},
		{"unknown outcome", func(iv *memory.Intervention) { iv.Outcome = "great" }, "outcome"},
		{"NaN score", func(iv *memory.Intervention) { iv.Scores = map[string]float64{"effectiveness": math.NaN()} }, "finite"},
		{"bad score name", func(iv *memory.Intervention) { iv.Scores = map[string]float64{"Eff ect": 1} }, "score name"},
		{"bad args", func(iv *memory.Intervention) { iv.Args = json.RawMessage(`{"a":`) }, "JSON"},
		{"short vector", func(iv *memory.Intervention) { iv.Embedding = make([]float32, 3) }, "dimensions"},
		{"NaN vector", func(iv *memory.Intervention) { iv.Embedding = vec(func(v []float32) { v[1] = float32(math.NaN()) }) }, "vector holds"},
		{"Inf vector", func(iv *memory.Intervention) { iv.Embedding = vec(func(v []float32) { v[1] = float32(math.Inf(1)) }) }, "vector holds"},
		{"zero vector", func(iv *memory.Intervention) { iv.Embedding = make([]float32, dims) }, "zero"},
		{"other embedder", func(iv *memory.Intervention) { iv.Embedding, iv.Embedder = vec(func([]float32) {}), "openai/x/100" }, "made by"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			iv := ok
			tc.mod(&iv)
			_, err := f.svc.Record(f.ctx, iv)
			if !steady.Is(err, steady.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want an invalid error mentioning %q", err, tc.want)
			}
		})
	}
	for _, user := range []string{"bob", "a{b}"} {
		if page, _, err := f.svc.Interventions(f.ctx, "bob", "", 10); err != nil || len(page) != 0 {
			t.Errorf("%s has %d interventions (%v) after only bad input, want 0", user, len(page), err)
		}
	}
}

func TestSetOutcomeKeepsExpiryAndMergesScores(t *testing.T) {
	f := newFixture(t)
	iv := f.record(t, memory.Intervention{Context: "can't start my essay", Scores: map[string]float64{"relevance": 0.9}})
	f.clock.Advance(time.Hour)
	got, err := f.svc.SetOutcome(f.ctx, "alice", iv.ID, memory.TaskCompleted, map[string]float64{"effectiveness": 0.8})
	if err != nil {
		t.Fatal(err)
	}
	if !got.ExpiresAt.Equal(iv.ExpiresAt) {
		t.Errorf("expires %v, want the original %v", got.ExpiresAt, iv.ExpiresAt)
	}
	if got.Outcome != memory.TaskCompleted || got.Scores["relevance"] != 0.9 || got.Scores["effectiveness"] != 0.8 {
		t.Errorf("got %s %v, want task_completed with both scores", got.Outcome, got.Scores)
	}
	for _, tc := range []struct {
		user, id string
		outcome  memory.Outcome
		code     steady.Code
	}{
		{"bob", iv.ID, memory.ReEngaged, steady.NotFound},
		{"alice", uuid.NewString(), memory.ReEngaged, steady.NotFound},
		{"alice", "not-a-uuid", memory.ReEngaged, steady.Invalid},
		{"alice", iv.ID, "wonderful", steady.Invalid},
	} {
		if _, err := f.svc.SetOutcome(f.ctx, tc.user, tc.id, tc.outcome, nil); !steady.Is(err, tc.code) {
			t.Errorf("SetOutcome(%s, %s, %s) = %v, want %s", tc.user, tc.id, tc.outcome, err, tc.code)
		}
	}
}

func TestInterventionsPaginate(t *testing.T) {
	f := newFixture(t)
	var want []string
	for i := range 7 {
		want = append([]string{f.record(t, memory.Intervention{Context: "step " + strings.Repeat("x", i+1)}).ID}, want...)
		f.clock.Advance(time.Second)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, next, err := f.svc.Interventions(f.ctx, "alice", cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, iv := range page {
			got = append(got, iv.ID)
		}
		if next == "" {
			break
		}
		cursor = next
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("pages gave %v, want newest first %v", got, want)
	}
	for _, bad := range []struct {
		cursor string
		limit  int
	}{{"garbage!", 3}, {"", 0 - 1}, {"", memory.MaxK + 1}} {
		if _, _, err := f.svc.Interventions(f.ctx, "alice", bad.cursor, bad.limit); !steady.Is(err, steady.Invalid) {
			t.Errorf("Interventions(cursor %q, limit %d) = %v, want invalid", bad.cursor, bad.limit, err)
		}
	}
}

func TestReflections(t *testing.T) {
	f := newFixture(t)
	for _, insight := range []string{"breathing helped", "short steps worked", "music distracted"} {
		if _, err := f.svc.Reflect(f.ctx, memory.Reflection{UserID: "alice", SessionID: "s1", Insight: insight, Summary: "a session"}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
	}
	got, err := f.svc.Reflections(f.ctx, "alice", 2)
	if err != nil || len(got) != 2 || got[0].Insight != "music distracted" || got[1].Insight != "short steps worked" {
		t.Fatalf("Reflections = %+v, %v; want the 2 newest, newest first", got, err)
	}
	if !got[0].ExpiresAt.Equal(got[0].CreatedAt.Add(90 * 24 * time.Hour)) {
		t.Errorf("reflection expires %v, want 90 days after %v", got[0].ExpiresAt, got[0].CreatedAt)
	}
	long := memory.Reflection{UserID: "alice", SessionID: "s1", Insight: "x", Summary: strings.Repeat("é", memory.MaxSummaryRunes+1)}
	if _, err := f.svc.Reflect(f.ctx, long); !steady.Is(err, steady.Invalid) {
		t.Errorf("501-character summary: err = %v, want invalid", err)
	}
	f.clock.Advance(91 * 24 * time.Hour)
	if got, _ := f.svc.Reflections(f.ctx, "alice", 0); len(got) != 0 {
		t.Errorf("%d reflections after 91 days, want 0", len(got))
	}
}

func TestProfiles(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.Profile(f.ctx, "alice"); !steady.Is(err, steady.NotFound) {
		t.Fatalf("Profile of a new user = %v, want not found", err)
	}
	p, err := f.svc.UpdateProfile(f.ctx, "alice", func(p *memory.Profile) error {
		p.Diagnosis, p.DiagnosisSource = memory.DiagnosisADHD, memory.SourceSelf
		return nil
	})
	if err != nil || p.PreferredCheckinInterval != 3 || p.AdaptationIntensity() != 0.8 {
		t.Fatalf("new profile %+v, %v; want interval 3, intensity 0.8", p, err)
	}
	_, err = f.svc.UpdateProfile(f.ctx, "alice", func(p *memory.Profile) error { p.Diagnosis = "FLU"; return nil })
	if !steady.Is(err, steady.Invalid) {
		t.Errorf("diagnosis FLU: err = %v, want invalid", err)
	}
	f.clock.Advance(400 * 24 * time.Hour)
	if got, err := f.svc.Profile(f.ctx, "alice"); err != nil || got.Diagnosis != memory.DiagnosisADHD {
		t.Errorf("profile after 400 days = %+v, %v; want it unchanged (profiles never expire)", got, err)
	}
}

func TestAdaptationIntensity(t *testing.T) {
	tests := []struct {
		d    memory.Diagnosis
		s    memory.DiagnosisSource
		want float64
	}{
		{memory.DiagnosisNone, memory.SourceOfficial, 0},
		{memory.DiagnosisADHD, memory.SourceOfficial, 1.0},
		{memory.DiagnosisAutism, memory.SourceSelf, 0.8},
		{memory.DiagnosisBoth, memory.SourceUnspecified, 0.9},
	}
	for _, tc := range tests {
		if got := (memory.Profile{Diagnosis: tc.d, DiagnosisSource: tc.s}).AdaptationIntensity(); got != tc.want {
			t.Errorf("%s/%s: got %v, want %v", tc.d, tc.s, got, tc.want)
		}
	}
}

func TestSessionsAreSeparateAndExpire(t *testing.T) {
	f := newFixture(t)
	set := func(user, session, task string) {
		t.Helper()
		if _, err := f.svc.UpdateSession(f.ctx, user, session, func(s *memory.SessionState) error { s.Task = task; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	set("alice", "s1", "laundry")
	set("alice", "s2", "email")
	set("bob", "s1", "taxes")
	for _, tc := range []struct{ user, session, want string }{{"alice", "s1", "laundry"}, {"alice", "s2", "email"}, {"bob", "s1", "taxes"}} {
		if st, err := f.svc.Session(f.ctx, tc.user, tc.session); err != nil || st.Task != tc.want {
			t.Errorf("%s/%s task = %q, %v; want %q", tc.user, tc.session, st.Task, err, tc.want)
		}
	}
	f.clock.Advance(25 * time.Hour)
	if st, err := f.svc.Session(f.ctx, "alice", "s1"); err != nil || st.Task != "" || st.Version != 0 {
		t.Errorf("after 25h: %+v, %v; want a fresh state", st, err)
	}
}

func TestUpdateSessionLosesNoConcurrentUpdate(t *testing.T) {
	f := newFixture(t)
	const workers, each = 8, 10
	errs := make(chan error, workers*each)
	done := make(chan struct{})
	for w := range workers {
		go func() {
			for i := range each {
				_, err := f.svc.UpdateSession(f.ctx, "alice", "s1", func(s *memory.SessionState) error {
					s.Wins = append(s.Wins, memory.Win{Description: strings.Repeat("w", w+1) + string(rune('a'+i))})
					return nil
				})
				errs <- err
			}
			done <- struct{}{}
		}()
	}
	for range workers {
		<-done
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st, err := f.svc.Session(f.ctx, "alice", "s1")
	if err != nil || len(st.Wins) != workers*each {
		t.Errorf("%d wins (%v), want %d: an update was lost", len(st.Wins), err, workers*each)
	}
}

func TestForgetOnlyThatUser(t *testing.T) {
	f := newFixture(t)
	f.record(t, memory.Intervention{UserID: "alice", Context: "so tired"})
	f.record(t, memory.Intervention{UserID: "bob", Context: "so tired"})
	if _, err := f.svc.Reflect(f.ctx, memory.Reflection{UserID: "alice", SessionID: "s1", Insight: "x"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Forget(f.ctx, "alice")
	if err != nil || got.Interventions != 1 || got.Reflections != 1 {
		t.Fatalf("Forget = %+v, %v; want 1 intervention and 1 reflection", got, err)
	}
	if page, _, _ := f.svc.Interventions(f.ctx, "bob", "", 10); len(page) != 1 {
		t.Errorf("bob has %d interventions after alice was forgotten, want 1", len(page))
	}
	if ctx, _ := f.svc.PromptContext(f.ctx, "alice"); ctx != memory.NoHistory {
		t.Errorf("alice's context after Forget = %q, want %q", ctx, memory.NoHistory)
	}
}
