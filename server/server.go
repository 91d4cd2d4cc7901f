// Package server is Steady's HTTP server: accounts, text sessions with the
// agent, the user's memory, the operator's observability routes, the web
// pages, Prometheus metrics and MCP, all over the standard library's mux.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/steady-voice/steady/agent"
	"github.com/steady-voice/steady/eval/evalstore"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/observe/tracestore"
	"github.com/steady-voice/steady/server/account"
)

// Accounts is what the server needs of the account store.
type Accounts interface {
	// Register creates an account and signs it in. Conflict if the email
	// is taken; Invalid for a bad name, email or password.
	Register(ctx context.Context, name, email, password string) (account.User, string, error)
	// Login signs in; Unauthorized for a wrong email or password (the
	// same error for both), RateLimited after too many attempts for the
	// account or from addr.
	Login(ctx context.Context, email, password, addr string) (account.User, string, error)
	// Logout revokes the token; revoking an unknown token is not an error.
	Logout(ctx context.Context, token string) error
	// Authenticate returns the token's user; Unauthorized if the token is
	// unknown, revoked or expired.
	Authenticate(ctx context.Context, token string) (account.User, error)
	// Delete removes the account and its tokens.
	Delete(ctx context.Context, userID string) error
}

// Config wires a Server. Agent, Memory, Recorder and Accounts are required.
type Config struct {
	Agent    *agent.Agent
	Memory   *memory.Service
	Recorder *agent.Recorder
	Accounts Accounts
	// Traces and Runs serve the operator's observability routes; nil
	// makes them answer 503.
	Traces *tracestore.Store
	Runs   *evalstore.Store
	// Metrics serves GET /metrics (Prometheus text); nil answers 404.
	Metrics http.Handler
	// AdminToken, when set, is a bearer token with the operator role
	// (STEADY_ADMIN_TOKEN); compared in constant time, never logged.
	AdminToken string
	// SessionTTL ends a live session left idle this long (its
	// interventions are judged); 0 means memory.DefaultSessionTTL.
	SessionTTL time.Duration
	Logger     *slog.Logger
	Now        func() time.Time
}

// Server serves Steady's HTTP API.
type Server struct {
	cfg    Config
	log    *slog.Logger
	mux    *http.ServeMux
	routes []Route
	// state is what the API keeps between requests (api.go): the live
	// sessions, which Close ends.
	state *apiState
}

// Route is one registered route, for the OpenAPI document and its test.
type Route struct {
	Method, Pattern string // Pattern as registered, e.g. "/api/sessions/{id}/messages"
	Access          Access
}

// Access is who may call a route.
type Access int

const (
	Public   Access = iota // anyone (health, register, login, the pages)
	User                   // a signed-in user, acting only on themself
	Operator               // the operator role
)

// New builds the server and registers its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Agent == nil || cfg.Memory == nil || cfg.Recorder == nil || cfg.Accounts == nil {
		return nil, errors.New("server: Config.Agent, Memory, Recorder and Accounts are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	s.register()
	return s, nil
}

// Handler is the server's root handler.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// serve routes r; what no route takes — an unknown path, a method the path
// does not have — gets the same JSON error shape as everything else,
// rather than the mux's plain text.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(&unrouted{ResponseWriter: w, srv: s, r: r}, r)
}

// Routes lists the registered routes.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }
