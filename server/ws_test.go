package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

type socketMsg struct {
	Type      string `json:"type"`
	On        *bool  `json:"on"`
	Kind      string `json:"kind"`
	Message   string `json:"message"`
	Reply     string `json:"reply"`
	ToolCalls []struct {
		Name string `json:"name"`
	} `json:"tool_calls"`
	Tool *struct {
		Name   string `json:"name"`
		Result string `json:"result"`
	} `json:"tool"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (r *rig) dialChat(t *testing.T, session string) *websocket.Conn {
	t.Helper()
	url := "ws" + strings.TrimPrefix(r.url, "http") + "/ws/chat?session=" + session
	c, _, err := websocket.Dial(r.ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// next reads messages until one of the given type arrives.
func next(t *testing.T, c *websocket.Conn, typ string) socketMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		var m socketMsg
		if err := wsjson.Read(ctx, c, &m); err != nil {
			t.Fatalf("waiting for %q: %v", typ, err)
		}
		if m.Type == typ {
			return m
		}
	}
}

func TestChatSocketTurnsAndCheckins(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	sess, err := ana.StartSession(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := r.dialChat(t, sess.ID)
	if err := wsjson.Write(r.ctx, c, map[string]string{"token": ana.Token()}); err != nil {
		t.Fatal(err)
	}
	wsjson.Write(r.ctx, c, map[string]string{"type": "message", "text": "can you check in on me in 2 minutes?"})
	if typing := next(t, c, "typing"); typing.On == nil || !*typing.On {
		t.Errorf("first typing event %+v, want on", typing)
	}
	if tool := next(t, c, "tool"); tool.Tool == nil || tool.Tool.Name != "schedule_checkin" || tool.Tool.Result == "" {
		t.Errorf("tool event %+v, want schedule_checkin with its result", tool)
	}
	reply := next(t, c, "reply")
	if reply.Reply == "" || len(reply.ToolCalls) != 1 || reply.ToolCalls[0].Name != "schedule_checkin" {
		t.Fatalf("reply %+v, want schedule_checkin", reply)
	}
	r.clock.Advance(2 * time.Minute)
	if ch := next(t, c, "checkin"); ch.Kind != "checkin" || ch.Message == "" {
		t.Errorf("check-in %+v", ch)
	}
	wsjson.Write(r.ctx, c, map[string]string{"type": "dance"})
	if e := next(t, c, "error"); e.Error == nil || e.Error.Code != "invalid" {
		t.Errorf("unknown type: %+v, want an invalid error", e)
	}
}

func TestChatSocketRefusesStrangers(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	bob := r.user("Bob", "bob@example.com")
	sess, err := ana.StartSession(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{"no token": "", "bad token": "nope", "another user": bob.Token()} {
		t.Run(name, func(t *testing.T) {
			c := r.dialChat(t, sess.ID)
			wsjson.Write(r.ctx, c, map[string]string{"token": token})
			var m socketMsg
			err := wsjson.Read(r.ctx, c, &m)
			if err == nil && m.Type != "error" {
				t.Errorf("a stranger got %+v", m)
			}
			if err == nil {
				_, _, err = c.Read(r.ctx)
			}
			if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Errorf("close: %v, want policy violation", err)
			}
		})
	}
}
