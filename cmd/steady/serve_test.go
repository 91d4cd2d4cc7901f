package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/steady-voice/steady/observe/tracestore"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	steadyerr "github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/server/client"
)

// lockedBuffer is a bytes.Buffer the server's logger and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// served is a `steady serve` running on a free port.
type served struct {
	url  string
	logs *lockedBuffer
	stop func() error // cancels serve's context and returns run's result
}

// startServe runs `steady serve` until the test stops it or ends.
func startServe(t *testing.T, env map[string]string) served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout lockedBuffer
	s := served{logs: &lockedBuffer{}}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] },
			strings.NewReader(""), &stdout, s.logs)
	}()
	s.stop = sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			return errors.New("serve did not return within a minute of its context ending")
		}
	})
	t.Cleanup(func() { s.stop() })
	listening := regexp.MustCompile(`msg=listening addr=(\S+)`)
	for range 3000 {
		if m := listening.FindStringSubmatch(s.logs.String()); m != nil {
			s.url = "http://" + m[1]
			return s
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended before listening: %v\n%s", err, s.logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not log where it listens:\n%s", s.logs.String())
	return s
}

func TestServeShutsDownGracefully(t *testing.T) {
	env := map[string]string{"STEADY_DATA": t.TempDir(), "STEADY_ENGINE": "offline",
		"STEADY_ADMIN_TOKEN": "an-admin-token-long-enough", "STEADY_ADMIN_EMAIL": "olga@example.com"}
	srv := startServe(t, env)
	ctx := t.Context()
	c := client.New(srv.url, nil)
	if _, err := c.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	ana, err := c.Register(ctx, "Ana", "ana@example.com", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.StartSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := c.Send(ctx, sess.ID, "I need to clean my room but I don't know where to start")
	if err != nil || len(reply.ToolCalls) != 1 {
		t.Fatalf("send: %+v, %v; want a tool call", reply, err)
	}
	checkOperators(t, srv.url)

	if err := srv.stop(); err != nil {
		t.Fatalf("serve returned %v after its context ended, want nil\n%s", err, srv.logs.String())
	}
	// The live session was ended and the recorder drained: the
	// intervention is in memory, judged, with the session's reflection.
	list := jsonOut[struct{ Interventions []memory.Intervention }](t, env, "memory", "list", "--user", ana.ID)
	if len(list.Interventions) != 1 || list.Interventions[0].Outcome == memory.Pending {
		t.Errorf("memory after shutdown: %+v, want the session's intervention, judged", list.Interventions)
	}
	// Traces were flushed: the turn's tool call and the session's end are
	// in traces.db once serve has returned.
	st, err := tracestore.Open(ctx, filepath.Join(env["STEADY_DATA"], "traces.db"), tracestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, op := range []string{"execute_tool create_microsteps", "agent.end_session"} {
		if calls, err := st.Calls(ctx, tracestore.Filter{Op: op}); err != nil || len(calls) != 1 {
			t.Errorf("%s calls in traces.db after shutdown: %d, %v; want 1", op, len(calls), err)
		}
	}
}

// checkOperators checks the admin token and the admin email's account.
func checkOperators(t *testing.T, url string) {
	t.Helper()
	admin := client.New(url, nil)
	admin.SetToken("an-admin-token-long-enough")
	if _, err := admin.Totals(t.Context()); err != nil {
		t.Errorf("the admin token reads the totals: %v", err)
	}
	olga := client.New(url, nil)
	if _, err := olga.Register(t.Context(), "Olga", "OLGA@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, err := olga.Ops(t.Context(), time.Time{}); err != nil {
		t.Errorf("the --admin-email account reads the ops: %v", err)
	}
	ben := client.New(url, nil)
	if _, err := ben.Register(t.Context(), "Ben", "ben@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, err := ben.Ops(t.Context(), time.Time{}); !steadyerr.Is(err, steadyerr.Forbidden) {
		t.Errorf("a user reads the ops: %v, want forbidden", err)
	}
	text, err := client.New(url, nil).Metrics(t.Context())
	if err != nil || !strings.Contains(text, "steady_op_calls_total") || !strings.Contains(text, "http_server_request_duration_seconds") {
		t.Errorf("/metrics: %v, want op and HTTP metrics", err)
	}
}

func TestServeRefusesBadSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"short admin token", map[string]string{"STEADY_ADMIN_TOKEN": "secret"}, nil, "STEADY_ADMIN_TOKEN"},
		{"bad address", nil, []string{"--addr", "localhost"}, "--addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"STEADY_DATA": t.TempDir(), "STEADY_ENGINE": "offline"}
			for k, v := range tt.env {
				env[k] = v
			}
			_, _, err := steady(t, env, "", append([]string{"serve"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("serve: %v, want an error naming %s", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("the error %q shows the token", err)
			}
		})
	}
}

// TestChatWithAServer: `steady chat --server` is the CLI's remote mode,
// through the Go client, as the token's user.
func TestChatWithAServer(t *testing.T) {
	srvEnv := map[string]string{"STEADY_DATA": t.TempDir(), "STEADY_ENGINE": "offline"}
	srv := startServe(t, srvEnv)
	c := client.New(srv.url, nil)
	ana, err := c.Register(t.Context(), "Ana", "ana@example.com", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"STEADY_TOKEN": c.Token()} // its own --data: nothing local is used
	out := mustSteady(t, env, "I need to clean my room but I don't know where to start\n",
		"chat", "--server", srv.url, "--json")
	var turn turnOut
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &turn); err != nil {
		t.Fatalf("first line of %q: %v", out, err)
	}
	if len(turn.ToolCalls) != 1 || turn.ToolCalls[0].Name != "create_microsteps" || turn.Reply == "" {
		t.Errorf("remote turn %+v, want create_microsteps", turn)
	}
	ivs, err := c.Interventions(t.Context(), "", 10)
	if err != nil || len(ivs.Interventions) != 1 || ivs.Interventions[0].UserID != ana.ID {
		t.Errorf("the server's memory of Ana: %+v, %v; want the remote chat's intervention", ivs, err)
	}
	if _, _, err := steady(t, nil, "hi\n", "chat", "--server", srv.url); err == nil || !strings.Contains(err.Error(), "STEADY_TOKEN") {
		t.Errorf("no token: %v, want an error naming STEADY_TOKEN", err)
	}
}
