package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket/wsjson"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/observe/tracestore"
	"github.com/steady-voice/steady/server"
	"github.com/steady-voice/steady/server/client"
)

// The secrets of the flow: each distinct, so a hit names its source.
const (
	secretPassword = "Tr0ub4dor&3-dana-secret-pw"
	secretWrongPW  = "wrong-horse-battery-9137"
	secretAPIKey   = "sk-secret-4f1c9a77e2b8d6c5"
	secretArgPW    = "hunter2-argument-secret-77"
	secretBearer   = "sk-bogus-bearer-5a0e3c1d9f"
)

// secretLog is a log sink that tests may read while the server writes.
type secretLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *secretLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *secretLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// secretExchange is one HTTP request and its answer, as seen by a client.
type secretExchange struct {
	method, path string
	status       int
	answer       string // headers and body
}

// secretWire records every exchange of the clients that use it.
type secretWire struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []secretExchange
}

// RoundTrip records an answer when its body is closed, not by reading it
// first: an MCP event stream stays open for as long as its session.
func (w *secretWire) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	var h bytes.Buffer
	_ = resp.Header.Write(&h) // a bytes.Buffer takes every write
	x := secretExchange{method: req.Method, path: req.URL.Path, status: resp.StatusCode}
	body := &secretBody{ReadCloser: resp.Body}
	body.done = func() {
		x.answer = h.String() + "\n" + body.read.String()
		w.mu.Lock()
		defer w.mu.Unlock()
		w.seen = append(w.seen, x)
	}
	resp.Body = body
	return resp, nil
}

// secretBody keeps what was read of a body and reports it once, at Close.
type secretBody struct {
	io.ReadCloser
	read bytes.Buffer
	once sync.Once
	done func()
}

func (b *secretBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read.Write(p[:n])
	return n, err
}

func (b *secretBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

func (w *secretWire) exchanges() []secretExchange {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seen)
}

// secretFlow is the rig with the server logging at debug into a buffer,
// every client's exchanges recorded, and the secrets handed out so far.
type secretFlow struct {
	*rig
	logs    *secretLog
	wire    *secretWire
	tokens  []string // issued by register and login
	sockets []string // what the chat socket answered
}

func newSecretFlow(t *testing.T) *secretFlow {
	logs := &secretLog{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The recorder logs to the default logger: catch that too.
	prev := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(prev) })
	r := newRig(t, func(c *server.Config) { c.Logger = logger })
	return &secretFlow{rig: r, logs: logs, wire: &secretWire{base: r.http.Client().Transport}}
}

func (f *secretFlow) client(token string) *client.Client {
	c := client.New(f.url, &http.Client{Transport: f.wire})
	c.SetToken(token)
	return c
}

func (f *secretFlow) secrets() []string {
	return append([]string{secretPassword, secretWrongPW, secretAPIKey, secretArgPW, secretBearer, adminToken}, f.tokens...)
}

func TestSecretsStayOutOfLogsTracesAndAnswers(t *testing.T) {
	f := newSecretFlow(t)
	ctx := f.ctx
	dana := f.signIn(t)
	sess, err := dana.StartSession(ctx)
	must(t, err)
	_, err = dana.Send(ctx, sess.ID, "I need to clean my room but I don't know where to start")
	must(t, err)
	f.secretArguments(t, dana, sess.ID)
	f.chat(t, dana.Token())
	f.mcpSecretArguments(t, dana.Token())
	_, err = dana.EndSession(ctx, sess.ID)
	must(t, err)
	f.strangers(t)
	f.operatorReadsTraces(t)
	must(t, f.srv.Close(ctx)) // ends what is still live, which may log
	f.flushTraces()

	secrets := f.secrets()
	secretNone(t, "the server's log", f.logs.String(), secrets)
	for _, c := range f.allCalls(t) {
		b, err := json.Marshal(c)
		must(t, err)
		secretNone(t, "traced call "+c.Op+" "+c.CallID, string(b), secrets)
	}
	for _, x := range f.wire.exchanges() {
		allowed := secrets
		if x.status < 300 && (x.path == "/api/auth/register" || x.path == "/api/auth/login") {
			allowed = slices.DeleteFunc(slices.Clone(secrets), func(s string) bool { return slices.Contains(f.tokens, s) })
		}
		secretNone(t, x.method+" "+x.path+" answered", x.answer, allowed)
	}
	for _, m := range f.sockets {
		secretNone(t, "the chat socket", m, secrets)
	}
}

// signIn registers Dana, signs her in again on another client, and fails a
// sign-in with a wrong password; it returns the second client.
func (f *secretFlow) signIn(t *testing.T) *client.Client {
	t.Helper()
	first := f.client("")
	_, err := first.Register(f.ctx, "Dana", "dana@example.com", secretPassword)
	must(t, err)
	second := f.client("")
	_, err = second.Login(f.ctx, "dana@example.com", secretPassword)
	must(t, err)
	f.tokens = append(f.tokens, first.Token(), second.Token())
	_, err = f.client("").Login(f.ctx, "dana@example.com", secretWrongPW)
	wantCode(t, "a wrong password", err, steady.Unauthorized)
	must(t, first.Logout(f.ctx))
	_, err = f.client(f.tokens[0]).Me(f.ctx)
	wantCode(t, "a revoked token", err, steady.Unauthorized)
	return second
}

// secretArguments calls a tool with arguments named like secrets: they are
// unknown to it, and the refusal may name them but never echo their value —
// nor may the trace of the refused call. (The tool call's input carries its
// arguments as a json.RawMessage, which observe's capture writes out as is,
// past its redaction of keys such as api_key and password.)
func (f *secretFlow) secretArguments(t *testing.T, c *client.Client, session string) {
	t.Helper()
	for _, args := range []map[string]any{
		{"description": "finished the draft", "api_key": secretAPIKey},
		{"description": "finished the draft", "password": secretArgPW},
	} {
		var name string
		for k := range args {
			if k != "description" {
				name = k
			}
		}
		_, err := c.CallTool(f.ctx, session, "log_micro_win", args, "")
		wantCode(t, "a tool call with "+name, err, steady.Invalid)
		if err != nil && !strings.Contains(err.Error(), name) {
			t.Errorf("refusing %s: %q does not name the unknown argument", name, err)
		}
	}
}

// chat has a turn over the chat socket, whose first message is the token.
func (f *secretFlow) chat(t *testing.T, token string) {
	t.Helper()
	sess, err := f.client(token).StartSession(f.ctx)
	must(t, err)
	c := f.dialChat(t, sess.ID)
	must(t, wsjson.Write(f.ctx, c, map[string]string{"token": token}))
	must(t, wsjson.Write(f.ctx, c, map[string]string{"type": "message", "text": "can you check in on me in 2 minutes?"}))
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	for {
		_, msg, err := c.Read(ctx)
		must(t, err)
		f.sockets = append(f.sockets, string(msg))
		if strings.Contains(string(msg), `"type":"reply"`) {
			return
		}
	}
}

// mcpSecretArguments does over MCP what secretArguments does over HTTP.
func (f *secretFlow) mcpSecretArguments(t *testing.T, token string) {
	t.Helper()
	if !slices.ContainsFunc(f.srv.Routes(), func(rt server.Route) bool { return rt.Pattern == "/mcp" }) {
		t.Log("no /mcp route: secret arguments over MCP not checked")
		return
	}
	hc := &http.Client{Transport: isoBearer{token: token, base: f.wire}}
	cl := mcp.NewClient(&mcp.Implementation{Name: "secrets-test", Version: "1"}, nil)
	cs, err := cl.Connect(f.ctx, &mcp.StreamableClientTransport{Endpoint: f.url + "/mcp", HTTPClient: hc, MaxRetries: -1}, nil)
	must(t, err)
	defer cs.Close()
	res, err := cs.CallTool(f.ctx, &mcp.CallToolParams{Name: "log_micro_win",
		Arguments: map[string]any{"description": "finished the draft", "api_key": secretAPIKey}})
	must(t, err)
	if !res.IsError {
		t.Errorf("log_micro_win over MCP took an api_key argument")
	}
}

// strangers call with a bearer token that is nobody's, and a good token in
// a bad body: neither answer may repeat what was sent.
func (f *secretFlow) strangers(t *testing.T) {
	t.Helper()
	_, err := f.client(secretBearer).Me(f.ctx)
	wantCode(t, "an unknown bearer token", err, steady.Unauthorized)
	_, err = f.client(secretBearer).Traces(f.ctx, client.TraceFilter{})
	wantCode(t, "an unknown bearer token on an operator route", err, steady.Unauthorized)
	_, err = f.client("").Register(f.ctx, "Eve", "not-an-email", secretPassword)
	wantCode(t, "registering with a bad email", err, steady.Invalid)
}

// operatorReadsTraces lists every call as the operator and opens each trace.
func (f *secretFlow) operatorReadsTraces(t *testing.T) {
	t.Helper()
	f.flushTraces()
	admin := f.client(adminToken)
	traces := map[string]bool{}
	cursor := ""
	for {
		page, err := admin.Traces(f.ctx, client.TraceFilter{Limit: 1000, Cursor: cursor})
		must(t, err)
		for _, c := range page.Calls {
			traces[c.TraceID] = true
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(traces) == 0 {
		t.Fatal("the operator lists no calls: nothing was traced")
	}
	for id := range traces {
		_, err := admin.Trace(f.ctx, id)
		must(t, err)
	}
	_, err := admin.Ops(f.ctx, time.Time{})
	must(t, err)
	_, err = admin.Totals(f.ctx)
	must(t, err)
}

// allCalls reads every call in the trace store, with its trace's feedback,
// and checks that the refused secret arguments were traced at all.
func (f *secretFlow) allCalls(t *testing.T) []tracestore.Call {
	t.Helper()
	var all []tracestore.Call
	filter := tracestore.Filter{Limit: 1000}
	for {
		calls, err := f.traces.Calls(f.ctx, filter)
		must(t, err)
		all = append(all, calls...)
		if len(calls) < filter.Limit {
			break
		}
		filter.Cursor = calls[len(calls)-1].Cursor
	}
	refused := 0
	for _, c := range all {
		if c.Status == "error" && strings.Contains(c.Error, "api_key") {
			refused++
		}
	}
	if refused == 0 {
		t.Errorf("no traced call refused the api_key argument: the trace store did not capture the flow")
	}
	return all
}

// secretNone fails for each secret found in text, saying where it is.
func secretNone(t *testing.T, where, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if i := strings.Index(text, s); i >= 0 {
			lo, hi := max(0, i-120), min(len(text), i+len(s)+40)
			t.Errorf("%s holds the secret %q: …%s…", where, s, text[lo:hi])
		}
	}
}
