package server_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/server"
)

func TestIdleSessionsExpire(t *testing.T) {
	r := newRig(t, func(c *server.Config) { c.SessionTTL = time.Hour })
	ana := r.user("Ana", "ana@example.com")
	idle, err := ana.StartSession(r.ctx)
	must(t, err)
	_, err = ana.Send(r.ctx, idle.ID, "I need to clean my room but I don't know where to start")
	must(t, err)
	busy, err := ana.StartSession(r.ctx)
	must(t, err)

	r.clock.Advance(40 * time.Minute)
	_, err = ana.Send(r.ctx, busy.ID, "still here")
	must(t, err)
	r.clock.Advance(40 * time.Minute)

	_, err = ana.Send(r.ctx, idle.ID, "hello?")
	wantCode(t, "send after an hour idle", err, steady.NotFound)
	if _, err := ana.Send(r.ctx, busy.ID, "and now?"); err != nil {
		t.Errorf("a session used 40 minutes ago expired: %v", err)
	}
	// The expired session was ended: its intervention was judged and a
	// reflection kept.
	waitFor(t, "the expired session's reflection", func() bool {
		refl, err := ana.Reflections(r.ctx, 0)
		return err == nil && len(refl) == 1 && refl[0].SessionID == idle.ID
	})
	// Interventions and their scores are written in the background.
	waitFor(t, "the expired session's intervention, judged", func() bool {
		page, err := ana.Interventions(r.ctx, "", 0)
		i := slices.IndexFunc(page.Interventions, func(iv memory.Intervention) bool { return iv.SessionID == idle.ID })
		return err == nil && i >= 0 && page.Interventions[i].Scores[agent.ScoreName] != 0
	})
}

func TestCloseEndsLiveSessions(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	sess, err := ana.StartSession(r.ctx)
	must(t, err)
	_, err = ana.Send(r.ctx, sess.ID, "I need to clean my room but I don't know where to start")
	must(t, err)

	must(t, r.srv.Close(r.ctx))
	_, err = ana.Send(r.ctx, sess.ID, "hello?")
	wantCode(t, "send after Close", err, steady.Unavailable)
	_, err = ana.StartSession(r.ctx)
	wantCode(t, "start after Close", err, steady.Unavailable)
	must(t, r.recorder.Flush(r.ctx))
	refl, err := r.memory.Reflections(r.ctx, sessUser(t, r, ana.Token()), 0)
	must(t, err)
	if len(refl) != 1 || refl[0].SessionID != sess.ID {
		t.Errorf("reflections after Close: %+v, want the live session's", refl)
	}
}

func TestSessionsPerUserAreBounded(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	var first string
	for i := range server.MaxSessionsPerUser {
		s, err := ana.StartSession(r.ctx)
		must(t, err)
		if i == 0 {
			first = s.ID
		}
	}
	_, err := ana.StartSession(r.ctx)
	wantCode(t, "one session too many", err, steady.RateLimited)
	_, err = r.user("Ben", "ben@example.com").StartSession(r.ctx)
	must(t, err) // another user's limit is their own
	_, err = ana.EndSession(r.ctx, first)
	must(t, err)
	_, err = ana.StartSession(r.ctx)
	must(t, err)
}

func TestForgetDropsLiveSessions(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	sess, err := ana.StartSession(r.ctx)
	must(t, err)
	_, err = ana.Send(r.ctx, sess.ID, "I need to clean my room but I don't know where to start")
	must(t, err)
	gone, err := ana.Forget(r.ctx)
	must(t, err)
	if gone.LiveSessions != 1 || gone.Interventions != 1 {
		t.Errorf("forgot %+v, want the live session and its intervention", gone)
	}
	_, err = ana.Send(r.ctx, sess.ID, "hello?")
	wantCode(t, "send after forget", err, steady.NotFound)
	must(t, r.srv.Close(r.ctx))
	must(t, r.recorder.Flush(r.ctx))
	if refl, _ := ana.Reflections(r.ctx, 0); len(refl) != 0 {
		t.Errorf("%d reflections after forget and close, want none: a dropped session is not ended", len(refl))
	}
}

// sessUser is the user id behind a token.
func sessUser(t *testing.T, r *rig, token string) string {
	t.Helper()
	c := r.client()
	c.SetToken(token)
	u, err := c.Me(r.ctx)
	must(t, err)
	return u.ID
}

// waitFor polls cond: what it waits for happens in the background.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
