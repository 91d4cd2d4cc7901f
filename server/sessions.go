package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/memory"
)

// MaxSessionsPerUser bounds one user's live sessions: each holds a
// conversation in memory, so an unbounded number is a way to exhaust it.
const MaxSessionsPerUser = 16

// endTimeout bounds ending a session nobody waits for (idle, shutdown
// without a deadline): judging and reflecting touch the store.
const endTimeout = 30 * time.Second

func (s *Server) registerSessions() {
	s.handle("POST", "/api/sessions", User, s.startSession)
	s.handle("POST", "/api/sessions/{id}/messages", User, s.sendMessage)
	s.handle("POST", "/api/sessions/{id}/end", User, s.endSession)
	s.handle("POST", "/api/sessions/{id}/tools/{name}", User, s.callTool)
}

type startedSession struct {
	ID       string `json:"id"`
	Greeting string `json:"greeting"`
}

type messageRequest struct {
	Text string `json:"text"`
}

type toolRequest struct {
	Args json.RawMessage `json:"args"`
	// Utterance, when set, is what the user said before the call: it is
	// observed first, as a turn would, so the call is recorded in context.
	Utterance string `json:"utterance"`
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, who Principal) error {
	id := uuid.Must(uuid.NewV7()).String()
	if err := s.state.sessions.reserve(who.User.ID); err != nil {
		return err
	}
	sess, greeting, err := s.cfg.Agent.Start(r.Context(), who.User.ID, id)
	if err != nil {
		s.state.sessions.release(who.User.ID)
		return err
	}
	if err := s.state.sessions.add(sess); err != nil {
		_, _ = s.cfg.Agent.End(r.Context(), sess) // as Close would have
		return err
	}
	writeJSON(w, http.StatusCreated, startedSession{ID: id, Greeting: greeting})
	return nil
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request, who Principal) error {
	var req messageRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	sess, err := s.state.sessions.get(who.User.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	reply, err := s.cfg.Agent.Turn(r.Context(), sess, req.Text)
	if err != nil {
		return err
	}
	if reply.ToolCalls == nil {
		reply.ToolCalls = []agent.ToolCallResult{} // a list, never null, for clients
	}
	writeJSON(w, http.StatusOK, reply)
	return nil
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request, who Principal) error {
	sess, ok := s.state.sessions.take(who.User.ID, r.PathValue("id"))
	if !ok {
		return errNoSession
	}
	end, err := s.cfg.Agent.End(r.Context(), sess)
	if err != nil {
		return err
	}
	s.flush(r.Context())
	writeJSON(w, http.StatusOK, end)
	return nil
}

func (s *Server) callTool(w http.ResponseWriter, r *http.Request, who Principal) error {
	var req toolRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	sess, err := s.state.sessions.get(who.User.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if req.Utterance != "" {
		if err := s.cfg.Agent.Observe(r.Context(), sess, req.Utterance); err != nil {
			return err
		}
	}
	res, err := s.cfg.Agent.Bridge().HandleToolCall(r.Context(), sess, r.PathValue("name"), req.Args)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// flush waits, briefly, for the recorder to store what a session did, so
// that the user who ends a session and opens their memory sees it there.
// A slow store only delays that: the recorder keeps the jobs either way.
func (s *Server) flush(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.cfg.Recorder.Flush(ctx); err != nil {
		s.log.Warn("recorder not flushed in time; the jobs stay queued", "err", err)
	}
}

// Close ends every live session, judging its interventions as an idle
// expiry would, and stops the expiry of idle sessions. Call it once the
// HTTP server has stopped taking requests; later session requests fail as
// Unavailable.
func (s *Server) Close(ctx context.Context) error {
	return s.state.sessions.close(ctx)
}

// errNoSession is the one answer for a session that does not exist, has
// ended or expired, or is another user's: ids must not leak.
var errNoSession = steady.Errorf(steady.NotFound, "server", "no such session")

type sessionKey struct{ user, id string }

type liveSession struct {
	s    *agent.Session
	used time.Time
}

// sessions keeps the live sessions of every user by (user, id), so that a
// user can only ever reach their own, and ends those left idle for ttl.
type sessions struct {
	agent *agent.Agent
	log   *slog.Logger
	now   func() time.Time
	ttl   time.Duration

	mu      sync.Mutex
	live    map[sessionKey]*liveSession
	perUser map[string]int // live and starting sessions
	closed  bool
	stop    chan struct{}
	ending  sync.WaitGroup // the janitor and the ends it started
}

func newSessions(a *agent.Agent, log *slog.Logger, now func() time.Time, ttl time.Duration) *sessions {
	if ttl <= 0 {
		ttl = memory.DefaultSessionTTL
	}
	r := &sessions{agent: a, log: log, now: now, ttl: ttl,
		live: map[sessionKey]*liveSession{}, perUser: map[string]int{}, stop: make(chan struct{})}
	r.ending.Add(1)
	go r.janitor()
	return r
}

// reserve counts a session about to start against the user's limit, before
// the agent does the work of starting it.
func (r *sessions) reserve(user string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return errShuttingDown
	case r.perUser[user] >= MaxSessionsPerUser:
		return steady.Errorf(steady.RateLimited, "server", "at most %d sessions at once: end one first", MaxSessionsPerUser)
	}
	r.perUser[user]++
	return nil
}

func (r *sessions) release(user string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.releaseLocked(user)
}

func (r *sessions) releaseLocked(user string) {
	if r.perUser[user]--; r.perUser[user] <= 0 {
		delete(r.perUser, user)
	}
}

// add keeps a session reserved for its user; Unavailable if the server
// closed in the meantime, and the caller must end the session itself.
func (r *sessions) add(s *agent.Session) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.releaseLocked(s.UserID)
		return errShuttingDown
	}
	r.live[sessionKey{s.UserID, s.ID}] = &liveSession{s: s, used: r.now()}
	return nil
}

var errShuttingDown = steady.Errorf(steady.Unavailable, "server", "the server is shutting down")

// get returns the user's live session and marks it used. A session idle
// for ttl is ended on the spot rather than served: the janitor runs only
// now and then.
func (r *sessions) get(user, id string) (*agent.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errShuttingDown
	}
	k := sessionKey{user, id}
	ls, ok := r.live[k]
	if !ok {
		return nil, errNoSession
	}
	now := r.now()
	if now.Sub(ls.used) >= r.ttl {
		r.removeLocked(k)
		r.endInBackground(ls.s, "idle")
		return nil, errNoSession
	}
	ls.used = now
	return ls.s, nil
}

// take removes the user's session and returns it, for its caller to end.
func (r *sessions) take(user, id string) (*agent.Session, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := sessionKey{user, id}
	ls, ok := r.live[k]
	if ok {
		r.removeLocked(k)
		return ls.s, true
	}
	return nil, false
}

func (r *sessions) removeLocked(k sessionKey) {
	delete(r.live, k)
	r.releaseLocked(k.user)
}

// drop removes every session of the user without ending them: forgetting
// a user must not record their sessions' endings afterwards.
func (r *sessions) drop(user string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for k := range r.live {
		if k.user == user {
			r.removeLocked(k)
			n++
		}
	}
	return n
}

// takeIf removes and returns the sessions that match.
func (r *sessions) takeIf(match func(*liveSession) bool) []*agent.Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*agent.Session
	for k, ls := range r.live {
		if match(ls) {
			r.removeLocked(k)
			out = append(out, ls.s)
		}
	}
	return out
}

// janitor ends idle sessions. It wakes often enough that a session
// outlives its ttl by at most a fraction of it, and at most once a minute.
func (r *sessions) janitor() {
	defer r.ending.Done()
	t := time.NewTicker(min(r.ttl/4, time.Minute))
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			now := r.now()
			for _, s := range r.takeIf(func(ls *liveSession) bool { return now.Sub(ls.used) >= r.ttl }) {
				r.endInBackground(s, "idle")
			}
		}
	}
}

// endInBackground ends a session no request waits for. Close waits for it.
func (r *sessions) endInBackground(s *agent.Session, why string) {
	r.ending.Add(1)
	go func() {
		defer r.ending.Done()
		ctx, cancel := context.WithTimeout(context.Background(), endTimeout)
		defer cancel()
		if _, err := r.agent.End(ctx, s); err != nil {
			r.log.Warn("session not ended cleanly", "why", why, "session_id", s.ID, "err", err)
		}
	}()
}

// close ends every live session with ctx and waits for the endings
// already under way. Closing twice is not an error.
func (r *sessions) close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	close(r.stop)
	r.mu.Unlock()
	var errs []error
	for _, s := range r.takeIf(func(*liveSession) bool { return true }) {
		if _, err := r.agent.End(ctx, s); err != nil {
			errs = append(errs, err)
		}
	}
	r.ending.Wait()
	return errors.Join(errs...)
}
