package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/server/client"
)

func (a *app) chatCmd() *cobra.Command {
	var user, session, server string
	var seed uint64
	c := &cobra.Command{
		Use:   "chat",
		Short: "Talk with Steady in the terminal (offline unless a model is configured)",
		Long: `A conversation with Steady. On a terminal it is interactive and check-ins
appear when they come due. When stdin is not a terminal it reads one user
message per line; with --json it prints one JSON object per turn:
{"reply": ..., "tool_calls": [{"name", "args", "result"}]}. At the end of
input the session ends: its summary and reflection are printed and kept.

With --server URL it talks to a running "steady serve" instead, as the
account whose token is in STEADY_TOKEN (from POST /api/auth/login; never a
flag, which would show in the process list).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if server != "" {
				return a.remoteChat(cmd.Context(), server)
			}
			if session == "" {
				session = uuid.Must(uuid.NewV7()).String()
			}
			return a.chat(cmd.Context(), user, session, seed)
		},
	}
	c.Flags().StringVar(&user, "user", "me", "user id: whose memory the conversation reads and writes")
	c.Flags().StringVar(&session, "session", "", "session id (default: a new one)")
	c.Flags().Uint64Var(&seed, "seed", 1, "seed of the offline policy's choices")
	c.Flags().StringVar(&server, "server", "", "base URL of a running steady serve to talk to (token in STEADY_TOKEN)")
	return c
}

// turnOut is one turn as --json prints it.
type turnOut struct {
	Reply     string           `json:"reply"`
	ToolCalls []toolCallOut    `json:"tool_calls"`
	Checkins  []memory.Checkin `json:"checkins,omitempty"` // came due before the turn
	TraceID   string           `json:"trace_id,omitempty"`
}

type toolCallOut struct {
	Name   string          `json:"name"`
	Args   json.RawMessage `json:"args"`
	Result string          `json:"result"`
	CallID string          `json:"call_id,omitempty"`
}

func (a *app) chat(ctx context.Context, user, sessionID string, seed uint64) error {
	st, err := a.openAgent(ctx, seed, false)
	if err != nil {
		return err
	}
	defer st.close()
	s, greeting, err := st.agent.Start(ctx, user, sessionID)
	if err != nil {
		return err
	}
	return a.converse(ctx, localChat{st.agent, s}, greeting)
}

// remoteChat is the same conversation with a server, through its client.
func (a *app) remoteChat(ctx context.Context, url string) error {
	token := a.getenv("STEADY_TOKEN")
	if token == "" {
		return fmt.Errorf("--server: set STEADY_TOKEN to your token (POST %s/api/auth/login)", url)
	}
	c := client.New(url, nil)
	c.SetToken(token)
	s, err := c.StartSession(ctx)
	if err != nil {
		return err
	}
	return a.converse(ctx, remoteConv{c, s.ID}, s.Greeting)
}

// conversation is a chat session, local or on a server.
type conversation interface {
	turn(ctx context.Context, text string) (agent.Reply, error)
	// due returns the check-ins that came due; a server pushes its own
	// over its socket, so a remote conversation has none here.
	due(ctx context.Context) ([]memory.Checkin, error)
	end(ctx context.Context) (agent.Ending, error)
}

type localChat struct {
	agent   *agent.Agent
	session *agent.Session
}

func (l localChat) turn(ctx context.Context, text string) (agent.Reply, error) {
	return l.agent.Turn(ctx, l.session, text)
}
func (l localChat) due(ctx context.Context) ([]memory.Checkin, error) {
	return l.agent.Due(ctx, l.session)
}
func (l localChat) end(ctx context.Context) (agent.Ending, error) { return l.agent.End(ctx, l.session) }

type remoteConv struct {
	c  *client.Client
	id string
}

func (r remoteConv) turn(ctx context.Context, text string) (agent.Reply, error) {
	return r.c.Send(ctx, r.id, text)
}
func (r remoteConv) due(context.Context) ([]memory.Checkin, error) { return nil, nil }
func (r remoteConv) end(ctx context.Context) (agent.Ending, error) { return r.c.EndSession(ctx, r.id) }

// converse runs the conversation on the terminal: greeting, turns until
// the end of input, then the session's summary and reflection.
func (a *app) converse(ctx context.Context, conv conversation, greeting string) error {
	c := &chatIO{app: a, conv: conv, interactive: isTerminal(a.stdin)}
	c.say(greeting)
	if c.interactive {
		stop := c.watchCheckins(ctx)
		defer stop()
	}
	if err := c.loop(ctx); err != nil {
		return err
	}
	end, err := conv.end(ctx)
	if err != nil {
		return err
	}
	return c.ending(end)
}

// chatIO is the terminal side of a conversation.
type chatIO struct {
	app         *app
	conv        conversation
	interactive bool
	mu          sync.Mutex // one writer at a time: turns and check-ins
}

func (c *chatIO) loop(ctx context.Context) error {
	sc := bufio.NewScanner(c.app.stdin)
	sc.Buffer(make([]byte, 0, 4096), agent.MaxUtteranceBytes+1)
	for c.prompt(); sc.Scan(); c.prompt() {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if err := c.turn(ctx, text); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading messages: %w", err)
	}
	return nil
}

func (c *chatIO) turn(ctx context.Context, text string) error {
	due, err := c.conv.due(ctx)
	if err != nil {
		return err
	}
	r, err := c.conv.turn(ctx, text)
	if err != nil {
		return err
	}
	out := turnOut{Reply: r.Text, ToolCalls: []toolCallOut{}, Checkins: due, TraceID: r.TraceID}
	for _, tc := range r.ToolCalls {
		out.ToolCalls = append(out.ToolCalls, toolCallOut{tc.Name, tc.Args, tc.Result, tc.CallID})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.app.cfg.JSON {
		return json.NewEncoder(c.app.stdout).Encode(out)
	}
	for _, ch := range due {
		fmt.Fprintf(c.app.stdout, "steady (%s): %s\n", ch.Kind, ch.Message)
	}
	for _, tc := range out.ToolCalls {
		fmt.Fprintf(c.app.stdout, "  [%s %s]\n", tc.Name, tc.Args)
	}
	fmt.Fprintf(c.app.stdout, "steady: %s\n", out.Reply)
	return nil
}

func (c *chatIO) say(line string) {
	if c.app.cfg.JSON {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.app.stdout, "steady: %s\n", line)
}

func (c *chatIO) prompt() {
	if c.interactive && !c.app.cfg.JSON {
		fmt.Fprint(c.app.stdout, "you> ")
	}
}

// watchCheckins prints check-ins and reminders as they come due while the
// user is thinking.
func (c *chatIO) watchCheckins(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				due, err := c.conv.due(ctx)
				if err != nil {
					continue
				}
				for _, ch := range due {
					c.say(ch.Message)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (c *chatIO) ending(end agent.Ending) error {
	if c.app.cfg.JSON {
		return json.NewEncoder(c.app.stdout).Encode(end)
	}
	s := end.Summary
	fmt.Fprintf(c.app.stdout, "\nsession %s: %d turns, %d tool calls, %d steps and %d tasks done, effectiveness %.2f\n",
		s.SessionID, s.Turns, s.ToolCalls, s.StepsCompleted, s.TasksCompleted, s.Effectiveness)
	fmt.Fprintf(c.app.stdout, "reflection: %s\n", end.Reflection.Insight)
	return nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
