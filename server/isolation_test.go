package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/server"
	"github.com/steady-voice/steady/server/client"
)

// isoUser is a user with data of every kind, and everything about them that
// no other user may ever see.
type isoUser struct {
	name, email, id string
	c               *client.Client
	live, ended     string // session ids
	interventions   []string
	calls, traces   []string
	marker          string // a word only this user ever said
}

// secrets are the strings that identify the user or their data.
func (u *isoUser) secrets() []string {
	s := []string{u.id, u.email, u.c.Token(), u.live, u.ended, u.marker}
	s = append(s, u.interventions...)
	s = append(s, u.calls...)
	return append(s, u.traces...)
}

// isoSeed registers a user who has had a session with a turn that used a
// tool and ended it (a reflection), has a live session with a direct tool
// call, has set an outcome and updated their profile.
func isoSeed(t *testing.T, r *rig, name, marker string) *isoUser {
	t.Helper()
	u := &isoUser{name: name, email: strings.ToLower(name) + "@example.com", marker: marker}
	u.c = r.user(name, u.email)
	me, err := u.c.Me(r.ctx)
	must(t, err)
	u.id = me.ID

	sess, err := u.c.StartSession(r.ctx)
	must(t, err)
	u.ended = sess.ID
	reply, err := u.c.Send(r.ctx, sess.ID, "I need to clean my room "+marker+" but I don't know where to start")
	must(t, err)
	if len(reply.ToolCalls) == 0 {
		t.Fatalf("%s's turn used no tool: %+v", name, reply)
	}
	u.traces = append(u.traces, reply.TraceID)
	for _, tc := range reply.ToolCalls {
		u.calls, u.interventions = append(u.calls, tc.CallID), append(u.interventions, tc.InterventionID)
	}
	_, err = u.c.EndSession(r.ctx, sess.ID)
	must(t, err)

	live, err := u.c.StartSession(r.ctx)
	must(t, err)
	u.live = live.ID
	res, err := u.c.CallTool(r.ctx, live.ID, "create_microsteps",
		map[string]any{"task": "write the report " + marker}, "I have to write the report "+marker+" and I'm stuck")
	must(t, err)
	u.calls, u.traces = append(u.calls, res.CallID), append(u.traces, res.TraceID)
	u.interventions = append(u.interventions, res.InterventionID)
	must(t, r.recorder.Flush(r.ctx))

	_, err = u.c.SetOutcome(r.ctx, u.interventions[0], memory.TaskCompleted, map[string]float64{"effectiveness": 0.9})
	must(t, err)
	adhd, prefs := memory.DiagnosisADHD, map[string]string{"music": marker}
	_, err = u.c.UpdateProfile(r.ctx, client.ProfileUpdate{Diagnosis: &adhd, Preferences: &prefs})
	must(t, err)
	return u
}

// isoTarget is what an attacker aims a route at.
type isoTarget struct {
	sessions            []string
	intervention, call  string
	trace, marker, mine string // mine: the attacker's own email
}

func isoTargetOf(victim, attacker *isoUser) isoTarget {
	return isoTarget{sessions: []string{victim.live, victim.ended}, intervention: victim.interventions[0],
		call: victim.calls[0], trace: victim.traces[0], marker: victim.marker, mine: attacker.email}
}

// isoUnknown has the same shape with ids that never existed, so that an
// answer about the victim's id can be compared with isoOne about no id.
func isoUnknown(tg isoTarget) isoTarget {
	fresh := func() string { return uuid.Must(uuid.NewV7()).String() }
	return isoTarget{sessions: []string{fresh(), fresh()}, intervention: fresh(),
		call: strings.Repeat("ab", 8), trace: strings.Repeat("cd", 16), marker: tg.marker, mine: tg.mine}
}

type isoRequest struct{ path, body string }

// isoEntry says how to call isoOne route as an attacker aiming at a target:
// build gives isoOne request per resource (nil: the pattern is the path), want
// the status the attacker must get (0: any below 500; Operator routes always
// want 403). byID marks routes whose path names the target's resources.
type isoEntry struct {
	build func(isoTarget) []isoRequest
	want  int
	byID  bool
}

func isoPerSession(format, body string) func(isoTarget) []isoRequest {
	return func(tg isoTarget) []isoRequest {
		var out []isoRequest
		for _, id := range tg.sessions {
			out = append(out, isoRequest{strings.Replace(format, "{id}", url.PathEscape(id), 1), body})
		}
		return out
	}
}

func isoOne(f func(isoTarget) isoRequest) func(isoTarget) []isoRequest {
	return func(tg isoTarget) []isoRequest { return []isoRequest{f(tg)} }
}

func isoFixed(path, body string) func(isoTarget) []isoRequest {
	return isoOne(func(isoTarget) isoRequest { return isoRequest{path, body} })
}

// isoTable is how to call every route; a route missing here fails
// TestIsolationBetweenUsers, so a new route must say how it is isolated.
var isoTable = map[string]isoEntry{
	"GET /healthz":            {},
	"GET /readyz":             {},
	"GET /metrics":            {},
	"GET /api/openapi.json":   {},
	"GET /{$}":                {build: isoFixed("/", "")},
	"GET /memory":             {},
	"GET /dashboard":          {},
	"GET /static/{file}":      {build: isoFixed("/static/chat.js", "")},
	"GET /ws/chat":            {build: isoPerSession("/ws/chat?session={id}", ""), byID: true},
	"POST /api/auth/register": {build: isoFixed("/api/auth/register", `{"name": "Mallory", "email": "mallory@example.com", "password": "`+password+`"}`), want: 201},
	"POST /api/auth/login": {build: isoOne(func(tg isoTarget) isoRequest {
		return isoRequest{"/api/auth/login", `{"email": "` + tg.mine + `", "password": "` + password + `"}`}
	}), want: 200},
	"POST /api/auth/logout":                {want: 204},
	"GET /api/auth/me":                     {want: 200},
	"POST /api/sessions":                   {want: 201},
	"POST /api/sessions/{id}/messages":     {build: isoPerSession("/api/sessions/{id}/messages", `{"text": "what did I say before?"}`), want: 404, byID: true},
	"POST /api/sessions/{id}/end":          {build: isoPerSession("/api/sessions/{id}/end", ""), want: 404, byID: true},
	"POST /api/sessions/{id}/tools/{name}": {build: isoPerSession("/api/sessions/{id}/tools/log_micro_win", `{"args": {"description": "took it over"}}`), want: 404, byID: true},
	"GET /api/memory/interventions":        {build: isoFixed("/api/memory/interventions?limit=100", ""), want: 200},
	"GET /api/memory/search": {build: isoOne(func(tg isoTarget) isoRequest {
		return isoRequest{"/api/memory/search?all_outcomes=true&k=50&q=" + url.QueryEscape("clean my room write the report "+tg.marker), ""}
	}), want: 200},
	"POST /api/memory/interventions/{id}/outcome": {build: isoOne(func(tg isoTarget) isoRequest {
		return isoRequest{"/api/memory/interventions/" + url.PathEscape(tg.intervention) + "/outcome", `{"outcome": "abandoned"}`}
	}), want: 404, byID: true},
	"GET /api/memory/reflections":  {build: isoFixed("/api/memory/reflections?limit=100", ""), want: 200},
	"GET /api/memory/stats":        {want: 200},
	"DELETE /api/memory":           {want: 200},
	"GET /api/profile":             {want: 200},
	"PUT /api/profile":             {build: isoFixed("/api/profile", `{"diagnosis": "AUTISM", "preferences": {"music": "none"}}`), want: 200},
	"GET /api/traces":              {build: isoFixed("/api/traces?limit=1000", "")},
	"GET /api/traces/{trace_id}":   {build: isoOne(func(tg isoTarget) isoRequest { return isoRequest{"/api/traces/" + tg.trace, ""} }), byID: true},
	"GET /api/ops":                 {},
	"GET /api/ops/timeline":        {build: isoFixed("/api/ops/timeline?op=agent.turn", "")},
	"GET /api/evaluations/compare": {build: isoFixed("/api/evaluations/compare?a=0193a000-0000-7000-8000-000000000000&b=0193a000-0000-7000-8000-000000000001", "")},
	"POST /api/calls/{call_id}/feedback": {build: isoOne(func(tg isoTarget) isoRequest {
		return isoRequest{"/api/calls/" + tg.call + "/feedback", `{"reaction": "👎"}`}
	}), byID: true},
	"GET /api/evaluations":      {},
	"POST /api/evaluations":     {build: isoFixed("/api/evaluations", `{}`)},
	"GET /api/evaluations/{id}": {build: isoFixed("/api/evaluations/0193a000-0000-7000-8000-000000000000", "")},
	"GET /api/stats":            {},
}

// isoLast are the routes that take something from the attacker (their
// memory, their token): called after every other.
var isoLast = map[string]int{"DELETE /api/memory": 1, "POST /api/auth/logout": 2}

func isoKey(rt server.Route) string { return rt.Method + " " + rt.Pattern }

// isoEntryFor is the table's entry for a route; MCP routes, which another
// change adds, are called with an initialize request.
func isoEntryFor(rt server.Route) (isoEntry, bool) {
	if e, ok := isoTable[isoKey(rt)]; ok {
		return e, true
	}
	if rt.Pattern == "/mcp" || strings.HasPrefix(rt.Pattern, "/mcp/") {
		return isoEntry{build: isoFixed(rt.Pattern, `{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "iso", "version": "1"}}}`)}, true
	}
	return isoEntry{}, false
}

func (e isoEntry) requests(rt server.Route, tg isoTarget) []isoRequest {
	if e.build == nil {
		return []isoRequest{{path: rt.Pattern}}
	}
	return e.build(tg)
}

// isoRoutes are the server's routes, those that cost the caller last.
func isoRoutes(r *rig) []server.Route {
	routes := r.srv.Routes()
	slices.SortStableFunc(routes, func(a, b server.Route) int { return isoLast[isoKey(a)] - isoLast[isoKey(b)] })
	return routes
}

// isoDo sends isoOne request and reads the whole answer.
func isoDo(t *testing.T, r *rig, method, path, token, body string, header ...string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(r.ctx, method, r.url+path, rd)
	must(t, err)
	req.Header.Set("Accept", "application/json, text/event-stream")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := r.http.Client().Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, string(b)
}

// isoNoneOf fails if body holds any of secrets, except those the request
// itself carried: an answer may repeat what the caller sent.
func isoNoneOf(t *testing.T, what, body string, secrets []string, sent ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" || slices.ContainsFunc(sent, func(x string) bool { return strings.Contains(x, s) }) {
			continue
		}
		if strings.Contains(body, s) {
			t.Errorf("%s: the answer holds %q, which is not the caller's: %s", what, s, isoClip(body))
		}
	}
}

func isoClip(b string) string {
	if len(b) > 600 {
		return b[:600] + "…"
	}
	return b
}

func TestIsolationBetweenUsers(t *testing.T) {
	for _, dir := range []struct{ attacker, victim string }{{"Ben", "Ana"}, {"Ana", "Ben"}} {
		t.Run(dir.attacker+" at "+dir.victim, func(t *testing.T) {
			r := newRig(t)
			users := map[string]*isoUser{"Ana": isoSeed(t, r, "Ana", "marmalade"), "Ben": isoSeed(t, r, "Ben", "harpsichord")}
			attacker, victim := users[dir.attacker], users[dir.victim]
			before := isoSnapshotOf(t, r, victim)
			if ivs, refl := before["interventions"].([]memory.Intervention), before["reflections"].([]memory.Reflection); len(ivs) != len(victim.interventions) || len(refl) != 1 {
				t.Fatalf("%s has %d interventions and %d reflections, want %d and 1", victim.name, len(ivs), len(refl), len(victim.interventions))
			}
			isoSweep(t, r, attacker, victim)
			must(t, r.recorder.Flush(r.ctx))
			isoSameSnapshot(t, before, isoSnapshotOf(t, r, victim))
			if _, err := victim.c.Send(r.ctx, victim.live, "I'm still here"); err != nil {
				t.Errorf("%s's live session after %s's attempts: %v", victim.name, attacker.name, err)
			}
		})
	}
}

// isoSweep calls every route as attacker, aimed at victim's resources.
func isoSweep(t *testing.T, r *rig, attacker, victim *isoUser) {
	tg := isoTargetOf(victim, attacker)
	unknown := isoUnknown(tg)
	token := attacker.c.Token()
	sawOwn := false // the scan can see data: the attacker's own shows up
	for _, rt := range isoRoutes(r) {
		key := isoKey(rt)
		e, ok := isoEntryFor(rt)
		if !ok {
			t.Errorf("route %s is not in isoTable: add how a user calls it at another's data", key)
			continue
		}
		want := e.want
		if rt.Access == server.Operator {
			want = http.StatusForbidden
		}
		reqs, others := e.requests(rt, tg), e.requests(rt, unknown)
		for i, q := range reqs {
			what := key + " as " + attacker.name + ": " + q.path
			status, body := isoDo(t, r, rt.Method, q.path, token, q.body)
			switch {
			case want != 0 && status != want:
				t.Errorf("%s: status %d, want %d; body %s", what, status, want, isoClip(body))
			case want == 0 && status >= 500:
				t.Errorf("%s: status %d; body %s", what, status, isoClip(body))
			}
			isoNoneOf(t, what, body, victim.secrets(), q.path, q.body)
			sawOwn = sawOwn || strings.Contains(body, attacker.marker) && strings.Contains(body, attacker.interventions[0])
			if e.byID {
				isoSameAsUnknown(t, r, rt, what, token, status, body, tg, q, unknown, others[i])
			}
		}
	}
	if !sawOwn {
		t.Errorf("no answer held %s's own marker and intervention: the scan for %s's data proves nothing", attacker.name, victim.name)
	}
}

// isoSameAsUnknown checks that an answer about the victim's resource is the
// answer about isoOne that never existed: nothing tells the two apart.
func isoSameAsUnknown(t *testing.T, r *rig, rt server.Route, what, token string, status int, body string,
	tg isoTarget, q isoRequest, unknown isoTarget, uq isoRequest) {
	t.Helper()
	if rt.Pattern == "/ws/chat" {
		return // not upgraded: the answer is the websocket library's
	}
	ustatus, ubody := isoDo(t, r, rt.Method, uq.path, token, uq.body)
	norm := func(s string, tg isoTarget) string {
		for _, id := range append([]string{tg.intervention, tg.call, tg.trace}, tg.sessions...) {
			s = strings.ReplaceAll(s, id, "<id>")
		}
		return s
	}
	if ustatus != status || norm(ubody, unknown) != norm(body, tg) {
		t.Errorf("%s: answered %d %s, but about an unknown id %d %s: the two can be told apart",
			what, status, isoClip(body), ustatus, isoClip(ubody))
	}
}

// isoSnapshot is all a user's data, read from the memory layer directly.
type isoSnapshot map[string]any

func isoSnapshotOf(t *testing.T, r *rig, u *isoUser) isoSnapshot {
	t.Helper()
	ctx, m := r.ctx, r.memory
	s := isoSnapshot{}
	ivs, _, err := m.Interventions(ctx, u.id, "", memory.MaxK)
	must(t, err)
	s["interventions"] = ivs
	refl, err := m.Reflections(ctx, u.id, memory.MaxK)
	must(t, err)
	s["reflections"] = refl
	s["profile"], err = m.Profile(ctx, u.id)
	must(t, err)
	s["stats"], err = m.Stats(ctx, u.id)
	must(t, err)
	for _, id := range []string{u.live, u.ended} {
		st, err := m.Session(ctx, u.id, id)
		s["session "+id] = []any{st, isoErrString(err)}
	}
	return s
}

func isoErrString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func isoSameSnapshot(t *testing.T, before, after isoSnapshot) {
	t.Helper()
	for k, b := range before {
		bj, err := json.Marshal(b)
		must(t, err)
		aj, err := json.Marshal(after[k])
		must(t, err)
		if !bytes.Equal(bj, aj) {
			t.Errorf("the victim's %s changed:\nbefore %s\nafter  %s", k, bj, aj)
		}
	}
}

func TestIsolationRolesAtEveryRoute(t *testing.T) {
	r := newRig(t)
	ana := isoSeed(t, r, "Ana", "marmalade")
	tg := isoTargetOf(ana, ana)
	callers := []struct {
		name, token string
		want        func(server.Access) int // 0: not called
	}{
		{"no token", "", func(a server.Access) int { return map[server.Access]int{server.User: 401, server.Operator: 401}[a] }},
		{"unknown token", "sk-not-a-token", func(a server.Access) int { return map[server.Access]int{server.User: 401, server.Operator: 401}[a] }},
		{"admin token", adminToken, func(a server.Access) int { return map[server.Access]int{server.User: 403}[a] }},
	}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			for _, rt := range isoRoutes(r) {
				want := c.want(rt.Access)
				e, ok := isoEntryFor(rt)
				if want == 0 || !ok {
					continue // TestIsolationBetweenUsers reports a route missing from the table
				}
				for _, q := range e.requests(rt, tg) {
					status, body := isoDo(t, r, rt.Method, q.path, c.token, q.body)
					if status != want {
						t.Errorf("%s %s with %s: status %d, want %d; body %s", rt.Method, q.path, c.name, status, want, isoClip(body))
					}
					isoNoneOf(t, rt.Method+" "+q.path+" with "+c.name, body, ana.secrets(), q.path, q.body)
				}
			}
		})
	}
	if _, err := ana.c.Send(r.ctx, ana.live, "still mine?"); err != nil {
		t.Errorf("Ana's live session after the sweep: %v", err)
	}
}

func TestIsolationChatSocket(t *testing.T) {
	r := newRig(t)
	ana, ben := isoSeed(t, r, "Ana", "marmalade"), isoSeed(t, r, "Ben", "harpsichord")
	var answers []string
	for _, session := range []string{ana.live, uuid.Must(uuid.NewV7()).String()} {
		c := r.dialChat(t, session)
		must(t, wsjson.Write(r.ctx, c, map[string]string{"token": ben.c.Token()}))
		// Were Ben let in, this turn would land in Ana's session.
		_ = wsjson.Write(r.ctx, c, map[string]string{"type": "message", "text": "read me my last steps"})
		var got []string
		for {
			_, msg, err := c.Read(r.ctx)
			if err != nil {
				if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
					t.Errorf("Ben on session %s: closed with %v, want a policy violation", session, err)
				}
				break
			}
			got = append(got, string(msg))
		}
		if len(got) != 1 || !strings.Contains(got[0], `"not_found"`) {
			t.Errorf("Ben on session %s got %q, want isoOne not_found error", session, got)
		}
		answers = append(answers, strings.ReplaceAll(strings.Join(got, "\n"), session, "<id>"))
		isoNoneOf(t, "Ben's socket on "+session, strings.Join(got, "\n"), ana.secrets(), session)
	}
	if answers[0] != answers[1] {
		t.Errorf("Ben on Ana's session got %q, on an unknown isoOne %q: the two can be told apart", answers[0], answers[1])
	}
	must(t, r.recorder.Flush(r.ctx))
	st, err := r.memory.Session(r.ctx, ana.id, ana.live)
	must(t, err)
	if b, _ := json.Marshal(st); strings.Contains(string(b), "read me my last steps") {
		t.Errorf("Ben's message reached Ana's session: %s", b)
	}
}

func TestIsolationMCP(t *testing.T) {
	r := newRig(t)
	if !slices.ContainsFunc(r.srv.Routes(), func(rt server.Route) bool { return rt.Pattern == "/mcp" }) {
		t.Skip("no /mcp route yet (the MCP server is another change): skipping Ben's memory_search at Ana's memory")
	}
	ana, ben := isoSeed(t, r, "Ana", "marmalade"), isoSeed(t, r, "Ben", "harpsichord")
	anaMCP := isoMCPConnect(t, r, ana)
	// A support tool starts an agent session under the MCP session's id.
	_, err := anaMCP.CallTool(r.ctx, &mcp.CallToolParams{Name: "create_microsteps",
		Arguments: map[string]any{"task": "tidy the desk marmalade", "utterance": "my desk is a mess marmalade"}})
	must(t, err)
	secrets := append(ana.secrets(), anaMCP.ID())
	query := "clean my room write the report marmalade"
	if got := isoMCPSearch(t, r, anaMCP, query); !strings.Contains(got, ana.interventions[0]) {
		t.Errorf("Ana's own memory_search found none of her interventions: %s", isoClip(got))
	}
	isoNoneOf(t, "Ben's memory_search over MCP", isoMCPSearch(t, r, isoMCPConnect(t, r, ben), query), secrets, query)

	// Ben names Ana's MCP session: it answers exactly as an unknown id
	// does (404 "session not found"), as the REST routes do, so the id is
	// not confirmed; and Ben neither acts in it nor reads from it.
	call := `{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "memory_search", "arguments": {"query": "` + query + `"}}}`
	for _, m := range []struct{ method, body string }{{"POST", call}, {"GET", ""}, {"DELETE", ""}} {
		status, body := isoDo(t, r, m.method, "/mcp", ben.c.Token(), m.body,
			"Mcp-Session-Id", anaMCP.ID(), "Mcp-Protocol-Version", "2025-06-18")
		if status != http.StatusNotFound || strings.TrimSpace(body) != "session not found" {
			t.Errorf("Ben's %s /mcp in Ana's MCP session: status %d, body %s; want 404 session not found", m.method, status, isoClip(body))
		}
		isoNoneOf(t, "Ben's "+m.method+" /mcp in Ana's MCP session", body, secrets, anaMCP.ID(), m.body)
	}
	status, body := isoDo(t, r, "POST", "/api/sessions/"+anaMCP.ID()+"/messages", ben.c.Token(), `{"text": "hi"}`)
	if status != http.StatusNotFound {
		t.Errorf("Ben's message in Ana's MCP agent session: status %d, want 404; body %s", status, isoClip(body))
	}
	if got := isoMCPSearch(t, r, anaMCP, query); !strings.Contains(got, ana.interventions[0]) {
		t.Errorf("Ana's MCP session after Ben's attempts: %s", isoClip(got))
	}
}

// isoMCPConnect opens an MCP session as u, closed when the test ends.
func isoMCPConnect(t *testing.T, r *rig, u *isoUser) *mcp.ClientSession {
	t.Helper()
	hc := &http.Client{Transport: isoBearer{token: u.c.Token(), base: r.http.Client().Transport}}
	cl := mcp.NewClient(&mcp.Implementation{Name: "isolation-test", Version: "1"}, nil)
	cs, err := cl.Connect(r.ctx, &mcp.StreamableClientTransport{Endpoint: r.url + "/mcp", HTTPClient: hc, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatalf("%s connects over MCP: %v", u.name, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// isoMCPSearch calls memory_search over all outcomes and returns the result
// as JSON.
func isoMCPSearch(t *testing.T, r *rig, cs *mcp.ClientSession, query string) string {
	t.Helper()
	res, err := cs.CallTool(r.ctx, &mcp.CallToolParams{Name: "memory_search",
		Arguments: map[string]any{"query": query, "k": 20, "all_outcomes": true}})
	must(t, err)
	b, err := json.Marshal(res)
	must(t, err)
	return string(b)
}

type isoBearer struct {
	token string
	base  http.RoundTripper
}

func (b isoBearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(req)
}
