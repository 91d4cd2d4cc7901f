package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/server/client"
)

func TestUserJourney(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	ctx := r.ctx

	sess, err := ana.StartSession(ctx)
	must(t, err)
	if sess.ID == "" || sess.Greeting == "" {
		t.Fatalf("started %+v, want an id and a greeting", sess)
	}
	reply, err := ana.Send(ctx, sess.ID, "I need to clean my room but I don't know where to start")
	must(t, err)
	if reply.Text == "" || len(reply.ToolCalls) != 1 || reply.ToolCalls[0].Name != "create_microsteps" {
		t.Fatalf("reply %+v, want text and create_microsteps", reply)
	}
	if tc := reply.ToolCalls[0]; tc.Result == "" || tc.CallID == "" || reply.TraceID == "" {
		t.Errorf("tool call %+v in trace %q, want a result, a call id and a trace id", tc, reply.TraceID)
	}
	_, err = ana.Send(ctx, sess.ID, "ok that actually helped, I'm back on it")
	must(t, err)
	end, err := ana.EndSession(ctx, sess.ID)
	must(t, err)
	if end.Summary.Turns != 2 || end.Reflection.Insight == "" {
		t.Errorf("ending %+v, want 2 turns and a reflection", end)
	}
	_, err = ana.Send(ctx, sess.ID, "hello again")
	wantCode(t, "send after end", err, steady.NotFound)

	page, err := ana.Interventions(ctx, "", 0)
	must(t, err)
	if len(page.Interventions) != 1 || page.Interventions[0].Tool != "create_microsteps" {
		t.Fatalf("interventions %+v, want the create_microsteps one", page.Interventions)
	}
	iv := page.Interventions[0]
	if iv.Outcome != memory.ReEngaged || iv.Embedding != nil {
		t.Errorf("intervention outcome %q, embedding %d values; want re_engaged and none", iv.Outcome, len(iv.Embedding))
	}
	matches, err := ana.Search(ctx, "my room is a mess and I can't start", client.SearchOptions{K: 5, AllOutcomes: true})
	must(t, err)
	if len(matches) != 1 || matches[0].ID != iv.ID || matches[0].Embedding != nil {
		t.Errorf("search found %+v, want the intervention without its embedding", matches)
	}
	refl, err := ana.Reflections(ctx, 0)
	must(t, err)
	if len(refl) != 1 {
		t.Errorf("%d reflections, want 1", len(refl))
	}
	stats, err := ana.Stats(ctx)
	must(t, err)
	if stats.Interventions != 1 || stats.Reflections != 1 {
		t.Errorf("stats %+v, want 1 intervention and 1 reflection", stats)
	}
	got, err := ana.SetOutcome(ctx, iv.ID, memory.TaskCompleted, map[string]float64{"effectiveness": 1})
	must(t, err)
	if got.Outcome != memory.TaskCompleted || got.Scores["effectiveness"] != 1 {
		t.Errorf("after SetOutcome: %+v", got)
	}

	checkProfile(t, ana)

	gone, err := ana.Forget(ctx)
	must(t, err)
	if gone.Interventions != 1 || gone.Reflections != 1 || gone.Profiles != 1 {
		t.Errorf("forgot %+v, want 1 intervention, reflection and profile", gone)
	}
	page, err = ana.Interventions(ctx, "", 0)
	must(t, err)
	if len(page.Interventions) != 0 {
		t.Errorf("after forget: %d interventions, want none", len(page.Interventions))
	}
}

func checkProfile(t *testing.T, c *client.Client) {
	t.Helper()
	p, err := c.Profile(t.Context())
	must(t, err)
	if p.Diagnosis != memory.DiagnosisNone || p.PreferredCheckinInterval != memory.DefaultCheckinInterval {
		t.Errorf("a new user's profile %+v, want the defaults", p)
	}
	adhd, every := memory.DiagnosisADHD, 10
	p, err = c.UpdateProfile(t.Context(), client.ProfileUpdate{Diagnosis: &adhd, PreferredCheckinInterval: &every})
	must(t, err)
	if p.Diagnosis != adhd || p.PreferredCheckinInterval != every || p.DiagnosisSource != memory.SourceUnspecified {
		t.Errorf("updated profile %+v, want ADHD, every 10 minutes, source unchanged", p)
	}
	bad := 0
	_, err = c.UpdateProfile(t.Context(), client.ProfileUpdate{PreferredCheckinInterval: &bad})
	wantCode(t, "check-in interval 0", err, steady.Invalid)
	p, err = c.Profile(t.Context())
	must(t, err)
	if p.PreferredCheckinInterval != every {
		t.Errorf("after a refused update: interval %d, want %d", p.PreferredCheckinInterval, every)
	}
}

func TestCallToolDirectly(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	sess, err := ana.StartSession(r.ctx)
	must(t, err)
	res, err := ana.CallTool(r.ctx, sess.ID, "create_microsteps",
		map[string]any{"task": "write the report"}, "I have to write the report and I'm stuck")
	must(t, err)
	if res.Result == "" || res.CallID == "" || res.InterventionID == "" {
		t.Errorf("tool result %+v, want a result, a call id and an intervention", res)
	}
	tests := []struct {
		name, tool string
		args       any
		want       string // in the message
	}{
		{"unknown tool", "fly_to_the_moon", nil, "fly_to_the_moon"},
		{"wrong argument type", "start_breathing_exercise", map[string]any{"breaths": "many"}, "breaths"},
		{"out of range", "schedule_checkin", map[string]any{"minutes": 500}, "minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ana.CallTool(r.ctx, sess.ID, tt.tool, tt.args, "")
			wantCode(t, tt.tool, err, steady.Invalid)
			if err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestUsersAreIsolated(t *testing.T) {
	r := newRig(t)
	ana, ben := r.user("Ana", "ana@example.com"), r.user("Ben", "ben@example.com")
	ctx := r.ctx
	sess, err := ana.StartSession(ctx)
	must(t, err)
	_, err = ana.Send(ctx, sess.ID, "I need to clean my room but I don't know where to start")
	must(t, err)
	_, err = ana.EndSession(ctx, sess.ID)
	must(t, err)
	live, err := ana.StartSession(ctx)
	must(t, err)

	_, err = ben.Send(ctx, live.ID, "hi")
	wantCode(t, "Ben sends in Ana's session", err, steady.NotFound)
	_, err = ben.EndSession(ctx, live.ID)
	wantCode(t, "Ben ends Ana's session", err, steady.NotFound)
	_, err = ben.CallTool(ctx, live.ID, "log_micro_win", map[string]any{"description": "x"}, "")
	wantCode(t, "Ben calls a tool in Ana's session", err, steady.NotFound)
	if _, err := ana.Send(ctx, live.ID, "still here"); err != nil {
		t.Errorf("Ana's session after Ben's attempts: %v", err)
	}

	page, err := ben.Interventions(ctx, "", 0)
	must(t, err)
	if len(page.Interventions) != 0 {
		t.Errorf("Ben sees %d interventions, want none of Ana's", len(page.Interventions))
	}
	anas, err := ana.Interventions(ctx, "", 0)
	must(t, err)
	_, err = ben.SetOutcome(ctx, anas.Interventions[0].ID, memory.Abandoned, nil)
	wantCode(t, "Ben sets the outcome of Ana's intervention", err, steady.NotFound)
	matches, err := ben.Search(ctx, "clean my room", client.SearchOptions{AllOutcomes: true})
	must(t, err)
	if len(matches) != 0 {
		t.Errorf("Ben's search found %d of Ana's interventions", len(matches))
	}

	_, err = ben.Traces(ctx, client.TraceFilter{})
	wantCode(t, "a user lists traces", err, steady.Forbidden)
	_, err = ben.Totals(ctx)
	wantCode(t, "a user reads the totals", err, steady.Forbidden)
}

func TestAdminTokenIsAnOperatorNotAUser(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	sess, err := ana.StartSession(r.ctx)
	must(t, err)
	_, err = ana.Send(r.ctx, sess.ID, "I need to clean my room but I don't know where to start")
	must(t, err)
	r.flushTraces()

	admin := r.admin()
	page, err := admin.Traces(r.ctx, client.TraceFilter{})
	must(t, err)
	if len(page.Calls) == 0 {
		t.Error("the admin lists no calls, want the session's")
	}
	tot, err := admin.Totals(r.ctx)
	must(t, err)
	if tot.Users < 1 {
		t.Errorf("totals %+v, want Ana counted", tot)
	}
	_, err = admin.StartSession(r.ctx)
	wantCode(t, "the admin starts a session", err, steady.Forbidden)
	_, err = admin.Interventions(r.ctx, "", 0)
	wantCode(t, "the admin lists memory", err, steady.Forbidden)

	op := r.user("Olga", operatorEmail)
	if _, err := op.Totals(r.ctx); err != nil {
		t.Errorf("an operator account reads the totals: %v", err)
	}
}

func TestNoTokenIsUnauthorized(t *testing.T) {
	r := newRig(t)
	c := r.client()
	_, err := c.StartSession(r.ctx)
	wantCode(t, "start without a token", err, steady.Unauthorized)
	_, err = c.Traces(r.ctx, client.TraceFilter{})
	wantCode(t, "traces without a token", err, steady.Unauthorized)
	c.SetToken("not-a-token")
	_, err = c.Profile(r.ctx)
	wantCode(t, "profile with a bad token", err, steady.Unauthorized)
}

func TestBadBodiesAreInvalid(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	sess, err := ana.StartSession(r.ctx)
	must(t, err)
	url := r.url + "/api/sessions/" + sess.ID + "/messages"
	tests := []struct {
		name, body, want string
	}{
		{"unknown field", `{"text": "hi", "mood": "ok"}`, "mood"},
		{"over 64 KiB", `{"text": "` + strings.Repeat("a", 65<<10) + `"}`, "bytes"},
		{"not JSON", `text=hi`, "request body"},
		{"wrong type", `{"text": 42}`, "text"},
		{"empty", ``, "empty"},
		{"two values", `{"text": "hi"} {}`, "more than one"},
		{"empty text", `{"text": ""}`, ""},
		{"oversized text", `{"text": "` + strings.Repeat("a", 9<<10) + `"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, url, ana.Token(), tt.body)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", status, body)
			}
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != "invalid" || !strings.Contains(e.Error.Message, tt.want) {
				t.Errorf("body %s, want {\"error\": {\"code\": \"invalid\", \"message\": …%s…}}", body, tt.want)
			}
		})
	}
}

func TestQueryParametersAreChecked(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	_, err := ana.Interventions(r.ctx, "", 1000)
	wantCode(t, "limit 1000", err, steady.Invalid)
	_, err = ana.Interventions(r.ctx, "not-a-cursor", 0)
	wantCode(t, "bad cursor", err, steady.Invalid)
	_, err = ana.Search(r.ctx, "", client.SearchOptions{})
	wantCode(t, "empty search", err, steady.Invalid)
	_, err = ana.SetOutcome(r.ctx, "some-id", "fine", nil)
	wantCode(t, "unknown outcome", err, steady.Invalid)
}

// post sends body as is, to test what no client would send.
func post(t *testing.T, url, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", url, strings.NewReader(body))
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	must(t, err)
	return resp.StatusCode, b.Bytes()
}

func TestUnroutedRequestsGetJSONErrors(t *testing.T) {
	r := newRig(t)
	for _, c := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/api/nothing-here", http.StatusNotFound, "not_found"},
		{"DELETE", "/api/sessions", http.StatusMethodNotAllowed, "invalid"},
		{"PUT", "/healthz", http.StatusMethodNotAllowed, "invalid"},
	} {
		req, err := http.NewRequestWithContext(r.ctx, c.method, r.url+c.path, nil)
		must(t, err)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		var body struct {
			Error struct{ Code, Message string }
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != c.status || err != nil || body.Error.Code != c.code || body.Error.Message == "" {
			t.Errorf("%s %s: status %d, body %+v (%v); want %d with a JSON %s error", c.method, c.path, resp.StatusCode, body, err, c.status, c.code)
		}
		if c.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
			t.Errorf("%s %s: no Allow header", c.method, c.path)
		}
	}
}
