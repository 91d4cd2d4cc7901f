package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent"
)

// The chat socket: text turns as JSON, and what the server has to say
// unasked — a check-in or reminder that came due while the agent was idle.
//
// The token is the first message, not a URL parameter: URLs end up in
// access logs and browser history.
//
//	client → {"token": "…"}                      first, within authTimeout
//	client → {"type": "message", "text": "…"}
//	server → {"type": "typing", "on": true|false}
//	server → {"type": "tool", "tool": {"name", "args", "result", "call_id", …}}  one per tool the turn used, before the reply
//	server → {"type": "reply", "reply", "tool_calls", "trace_id"}
//	server → {"type": "checkin", "kind": "checkin"|"reminder", "message"}
//	server → {"type": "error", "error": {"code", "message"}}

const (
	authTimeout   = 10 * time.Second
	checkinPeriod = time.Second
	maxSocketMsg  = MaxBodyBytes
)

type socketIn struct {
	Token string `json:"token,omitempty"`
	Type  string `json:"type,omitempty"`
	Text  string `json:"text,omitempty"`
}

type socketOut struct {
	Type    string `json:"type"`
	On      *bool  `json:"on,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Message string `json:"message,omitempty"`
	*agent.Reply
	Tool  *agent.ToolCallResult `json:"tool,omitempty"`
	Error *errorDetail          `json:"error,omitempty"`
}

func (s *Server) registerSocket() {
	// Public at the HTTP level: the socket authenticates its first message.
	s.handle("GET", "/ws/chat", Public, s.chatSocket)
}

func (s *Server) chatSocket(w http.ResponseWriter, r *http.Request, _ Principal) error {
	sessionID := r.URL.Query().Get("session")
	if sessionID == "" {
		return steady.Errorf(steady.Invalid, "server", "ws/chat needs ?session=<id> (POST /api/sessions makes one)")
	}
	c, err := websocket.Accept(w, r, nil) // same origin only
	if err != nil {
		return nil // Accept has answered
	}
	c.SetReadLimit(maxSocketMsg)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	sock := &socket{srv: s, conn: c}
	err = sock.run(ctx, sessionID)
	var closeErr websocket.CloseError
	switch {
	case err == nil, errors.As(err, &closeErr), errors.Is(err, context.Canceled):
		c.Close(websocket.StatusNormalClosure, "")
	default:
		sock.fail(ctx, err)
		c.Close(websocket.StatusPolicyViolation, closeReason(err))
	}
	return nil
}

// socket is one connection to one session.
type socket struct {
	srv     *Server
	conn    *websocket.Conn
	session *agent.Session
	writeMu sync.Mutex
	busy    atomic.Bool // a turn is running: check-ins wait
}

func (k *socket) run(ctx context.Context, sessionID string) error {
	if err := k.authenticate(ctx, sessionID); err != nil {
		return err
	}
	go k.pushCheckins(ctx)
	for {
		var in socketIn
		if err := wsjson.Read(ctx, k.conn, &in); err != nil {
			return err
		}
		if in.Type != "message" {
			k.fail(ctx, steady.Errorf(steady.Invalid, "server", "unknown message type %q; send {\"type\": \"message\", \"text\": …}", in.Type))
			continue
		}
		if err := k.turn(ctx, in.Text); err != nil {
			if steady.ErrorCode(err) == steady.Internal {
				return err
			}
			k.fail(ctx, err)
		}
	}
}

func (k *socket) authenticate(ctx context.Context, sessionID string) error {
	actx, cancel := context.WithTimeout(ctx, authTimeout)
	defer cancel()
	var in socketIn
	if err := wsjson.Read(actx, k.conn, &in); err != nil {
		return steady.Errorf(steady.Unauthorized, "server", "send {\"token\": …} first")
	}
	u, err := k.srv.cfg.Accounts.Authenticate(ctx, in.Token)
	if err != nil {
		return err
	}
	k.session, err = k.srv.state.sessions.get(u.ID, sessionID)
	return err
}

func (k *socket) turn(ctx context.Context, text string) error {
	k.busy.Store(true)
	defer k.busy.Store(false)
	on, off := true, false
	k.send(ctx, socketOut{Type: "typing", On: &on})
	defer k.send(ctx, socketOut{Type: "typing", On: &off})
	reply, err := k.srv.cfg.Agent.Turn(ctx, k.session, text)
	if err != nil {
		return err
	}
	if reply.ToolCalls == nil {
		reply.ToolCalls = []agent.ToolCallResult{}
	}
	for i := range reply.ToolCalls {
		k.send(ctx, socketOut{Type: "tool", Tool: &reply.ToolCalls[i]})
	}
	k.send(ctx, socketOut{Type: "reply", Reply: &reply})
	return nil
}

// pushCheckins sends check-ins and reminders as they come due, while no
// turn is running: a check-in never interrupts the agent mid-answer.
func (k *socket) pushCheckins(ctx context.Context) {
	t := time.NewTicker(checkinPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if k.busy.Load() {
			continue
		}
		due, err := k.srv.cfg.Agent.Due(ctx, k.session)
		if err != nil {
			k.srv.log.Warn("check-ins", "err", err)
			continue
		}
		for _, c := range due {
			k.send(ctx, socketOut{Type: "checkin", Kind: c.Kind, Message: c.Message})
		}
	}
}

func (k *socket) send(ctx context.Context, v socketOut) {
	k.writeMu.Lock()
	defer k.writeMu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = wsjson.Write(wctx, k.conn, v) // a dead connection ends the read loop
}

func (k *socket) fail(ctx context.Context, err error) {
	code := steady.ErrorCode(err)
	msg := err.Error()
	if code == steady.Internal {
		k.srv.log.Error("chat socket", "err", err)
		msg = "something went wrong on our side; it has been logged"
	}
	k.send(ctx, socketOut{Type: "error", Error: &errorDetail{Code: code, Message: msg}})
}

// closeReason fits a close frame's 123-byte limit.
func closeReason(err error) string {
	r := string(steady.ErrorCode(err))
	if len(r) > 120 {
		r = r[:120]
	}
	return r
}
