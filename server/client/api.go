package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/observe/tracestore"
	"github.com/steady-voice/steady/server/account"
	"github.com/steady-voice/steady/server/api"
)

type signedIn struct {
	User  account.User `json:"user"`
	Token string       `json:"token"`
}

// Register creates an account, signs in and keeps its token.
func (c *Client) Register(ctx context.Context, name, email, password string) (account.User, error) {
	var out signedIn
	err := c.call(ctx, "POST", "/api/auth/register", nil,
		map[string]string{"name": name, "email": email, "password": password}, &out)
	if err == nil {
		c.SetToken(out.Token)
	}
	return out.User, err
}

// Login signs in and keeps the token.
func (c *Client) Login(ctx context.Context, email, password string) (account.User, error) {
	var out signedIn
	err := c.call(ctx, "POST", "/api/auth/login", nil, map[string]string{"email": email, "password": password}, &out)
	if err == nil {
		c.SetToken(out.Token)
	}
	return out.User, err
}

// Logout revokes the token and forgets it.
func (c *Client) Logout(ctx context.Context) error {
	err := c.call(ctx, "POST", "/api/auth/logout", nil, nil, nil)
	if err == nil {
		c.SetToken("")
	}
	return err
}

// Me is the signed-in user.
func (c *Client) Me(ctx context.Context) (account.User, error) {
	var u account.User
	return u, c.call(ctx, "GET", "/api/auth/me", nil, nil, &u)
}

// Session is a session just started.
type Session struct {
	ID       string `json:"id"`
	Greeting string `json:"greeting"`
}

// StartSession opens a text session with the agent.
func (c *Client) StartSession(ctx context.Context) (Session, error) {
	var s Session
	return s, c.call(ctx, "POST", "/api/sessions", nil, nil, &s)
}

// Send says text in the session and returns the agent's reply.
func (c *Client) Send(ctx context.Context, sessionID, text string) (agent.Reply, error) {
	var r agent.Reply
	return r, c.call(ctx, "POST", pathf("/api/sessions/%s/messages", sessionID), nil, map[string]string{"text": text}, &r)
}

// EndSession ends the session and returns its summary and reflection.
func (c *Client) EndSession(ctx context.Context, sessionID string) (agent.Ending, error) {
	var e agent.Ending
	return e, c.call(ctx, "POST", pathf("/api/sessions/%s/end", sessionID), nil, nil, &e)
}

// CallTool runs a support tool in the session with args (a JSON object,
// e.g. a map; nil for none). A non-empty utterance is what the user said
// before the call, observed first.
func (c *Client) CallTool(ctx context.Context, sessionID, tool string, args any, utterance string) (agent.ToolCallResult, error) {
	in := struct {
		Args      any    `json:"args,omitempty"`
		Utterance string `json:"utterance,omitempty"`
	}{args, utterance}
	var r agent.ToolCallResult
	return r, c.call(ctx, "POST", pathf("/api/sessions/%s/tools/%s", sessionID, tool), nil, in, &r)
}

// InterventionPage is a page of a user's interventions, newest first.
type InterventionPage = api.InterventionPage

// Interventions lists the user's interventions; cursor "" starts at the
// newest, limit 0 means the server's default.
func (c *Client) Interventions(ctx context.Context, cursor string, limit int) (InterventionPage, error) {
	q := url.Values{}
	setString(q, "cursor", cursor)
	setInt(q, "limit", limit)
	var p InterventionPage
	return p, c.call(ctx, "GET", "/api/memory/interventions", q, nil, &p)
}

// SearchOptions tune Search; the zero value asks for the server's default
// number of matches, successful interventions only.
type SearchOptions struct {
	K           int
	AllOutcomes bool
}

// Search finds the user's past interventions most similar to text.
func (c *Client) Search(ctx context.Context, text string, opt SearchOptions) ([]memory.Match, error) {
	q := url.Values{"q": {text}}
	setInt(q, "k", opt.K)
	if opt.AllOutcomes {
		q.Set("all_outcomes", "true")
	}
	var out struct {
		Matches []memory.Match `json:"matches"`
	}
	return out.Matches, c.call(ctx, "GET", "/api/memory/search", q, nil, &out)
}

// SetOutcome says what happened after one of the user's interventions.
func (c *Client) SetOutcome(ctx context.Context, id string, outcome memory.Outcome, scores map[string]float64) (memory.Intervention, error) {
	in := struct {
		Outcome memory.Outcome     `json:"outcome"`
		Scores  map[string]float64 `json:"scores,omitempty"`
	}{outcome, scores}
	var iv memory.Intervention
	return iv, c.call(ctx, "POST", pathf("/api/memory/interventions/%s/outcome", id), nil, in, &iv)
}

// Reflections lists the user's reflections, newest first; limit 0 means
// the server's default.
func (c *Client) Reflections(ctx context.Context, limit int) ([]memory.Reflection, error) {
	q := url.Values{}
	setInt(q, "limit", limit)
	var out struct {
		Reflections []memory.Reflection `json:"reflections"`
	}
	return out.Reflections, c.call(ctx, "GET", "/api/memory/reflections", q, nil, &out)
}

// Stats summarises the user's memory.
func (c *Client) Stats(ctx context.Context) (memory.Stats, error) {
	var s memory.Stats
	return s, c.call(ctx, "GET", "/api/memory/stats", nil, nil, &s)
}

// Profile is the user's profile (the defaults until one is set).
func (c *Client) Profile(ctx context.Context) (memory.Profile, error) {
	var p memory.Profile
	return p, c.call(ctx, "GET", "/api/profile", nil, nil, &p)
}

// ProfileUpdate holds the profile fields to set; nil fields keep their
// value.
type ProfileUpdate = memory.ProfileUpdate

// UpdateProfile sets the fields given and returns the profile.
func (c *Client) UpdateProfile(ctx context.Context, u ProfileUpdate) (memory.Profile, error) {
	var p memory.Profile
	return p, c.call(ctx, "PUT", "/api/profile", nil, u, &p)
}

// Forgotten is what forgetting a user deleted.
type Forgotten = api.Forgotten

// Forget deletes everything the memory holds of the user.
func (c *Client) Forget(ctx context.Context) (Forgotten, error) {
	var f Forgotten
	return f, c.call(ctx, "DELETE", "/api/memory", nil, nil, &f)
}

// TraceFilter selects calls; zero fields match everything.
type TraceFilter struct {
	Op, Status   string
	Since, Until time.Time
	Attrs        map[string]string
	Limit        int
	Cursor       string
}

// CallPage is a page of calls, newest first.
type CallPage = api.CallPage

// Traces lists traced calls (operators).
func (c *Client) Traces(ctx context.Context, f TraceFilter) (CallPage, error) {
	q := url.Values{}
	setString(q, "op", f.Op)
	setString(q, "status", f.Status)
	setTime(q, "since", f.Since)
	setTime(q, "until", f.Until)
	setInt(q, "limit", f.Limit)
	setString(q, "cursor", f.Cursor)
	for k, v := range f.Attrs {
		q.Set("attr."+k, v)
	}
	var p CallPage
	return p, c.call(ctx, "GET", "/api/traces", q, nil, &p)
}

// Trace returns every call of a trace, parents first (operators).
func (c *Client) Trace(ctx context.Context, traceID string) ([]tracestore.Call, error) {
	var out struct {
		Calls []tracestore.Call `json:"calls"`
	}
	return out.Calls, c.call(ctx, "GET", pathf("/api/traces/%s", traceID), nil, nil, &out)
}

// Ops sums up each op's calls since a time; zero means the last 24 hours
// (operators).
func (c *Client) Ops(ctx context.Context, since time.Time) ([]tracestore.OpStat, error) {
	q := url.Values{}
	setTime(q, "since", since)
	var out struct {
		Ops []tracestore.OpStat `json:"ops"`
	}
	return out.Ops, c.call(ctx, "GET", "/api/ops", q, nil, &out)
}

// Feedback adds feedback to a call (operators). f's ID, CallID and
// CreatedAt are ignored.
func (c *Client) Feedback(ctx context.Context, callID string, f tracestore.Feedback) (tracestore.Feedback, error) {
	in := struct {
		Reaction string             `json:"reaction,omitempty"`
		Note     string             `json:"note,omitempty"`
		Scores   map[string]float64 `json:"scores,omitempty"`
	}{f.Reaction, f.Note, f.Scores}
	var out tracestore.Feedback
	return out, c.call(ctx, "POST", pathf("/api/calls/%s/feedback", callID), nil, in, &out)
}

// Evaluations lists stored runs without their rows, newest first; limit 0
// means the server's default (operators).
func (c *Client) Evaluations(ctx context.Context, limit int) ([]*eval.Run, error) {
	q := url.Values{}
	setInt(q, "limit", limit)
	var out struct {
		Runs []*eval.Run `json:"runs"`
	}
	return out.Runs, c.call(ctx, "GET", "/api/evaluations", q, nil, &out)
}

// RunEvaluation evaluates the agent over dataset (JSONL; "" for the
// built-in scenarios), stores the run and returns it (operators).
func (c *Client) RunEvaluation(ctx context.Context, dataset, name string) (*eval.Run, error) {
	in := struct {
		Dataset string `json:"dataset,omitempty"`
		Name    string `json:"name,omitempty"`
	}{dataset, name}
	var run eval.Run
	if err := c.call(ctx, "POST", "/api/evaluations", nil, in, &run); err != nil {
		return nil, err
	}
	return &run, nil
}

// Evaluation returns one stored run with its rows (operators).
func (c *Client) Evaluation(ctx context.Context, id string) (*eval.Run, error) {
	var run eval.Run
	if err := c.call(ctx, "GET", pathf("/api/evaluations/%s", id), nil, nil, &run); err != nil {
		return nil, err
	}
	return &run, nil
}

// Totals counts live records across all users (operators).
func (c *Client) Totals(ctx context.Context) (memory.Totals, error) {
	var t memory.Totals
	return t, c.call(ctx, "GET", "/api/stats", nil, nil, &t)
}

// Health checks that the server process is up.
func (c *Client) Health(ctx context.Context) error {
	return c.call(ctx, "GET", "/healthz", nil, nil, nil)
}

// Readiness is what /readyz answers.
type Readiness = api.Readiness

// Ready checks that the server's stores answer. When one does not, the
// error is Unavailable and names it, and the checks are returned too.
func (c *Client) Ready(ctx context.Context) (Readiness, error) {
	status, body, err := c.do(ctx, "GET", "/readyz", nil, nil)
	if err != nil {
		return Readiness{}, err
	}
	var r Readiness
	_ = json.Unmarshal(body, &r) // an answer without checks still has a status
	if status != http.StatusOK {
		return r, answerError("GET /readyz", status, body)
	}
	return r, nil
}

// Metrics returns the Prometheus text exposition.
func (c *Client) Metrics(ctx context.Context) (string, error) {
	status, body, err := c.do(ctx, "GET", "/metrics", nil, nil)
	if err == nil && status != http.StatusOK {
		err = answerError("GET /metrics", status, body)
	}
	return string(body), err
}

func setString(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

func setInt(q url.Values, k string, n int) {
	if n != 0 {
		q.Set(k, strconv.Itoa(n))
	}
}

func setTime(q url.Values, k string, t time.Time) {
	if !t.IsZero() {
		q.Set(k, t.UTC().Format(time.RFC3339Nano))
	}
}
