package server

import (
	"crypto/subtle"
	"net"
	"net/http"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/server/account"
)

func (s *Server) registerAuth() {
	s.handle("POST", "/api/auth/register", Public, s.handleRegister)
	s.handle("POST", "/api/auth/login", Public, s.login)
	s.handle("POST", "/api/auth/logout", User, s.logout)
	s.handle("GET", "/api/auth/me", User, s.me)
}

type registerRequest struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// signedIn is what register and login answer.
type signedIn struct {
	User  account.User `json:"user"`
	Token string       `json:"token"`
}

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request, _ Principal) error {
	var req registerRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	u, token, err := s.cfg.Accounts.Register(r.Context(), req.Name, req.Email, req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, signedIn{u, token})
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ Principal) error {
	var req loginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	u, token, err := s.cfg.Accounts.Login(r.Context(), req.Email, req.Password, clientAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, signedIn{u, token})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ Principal) error {
	token, _ := bearer(r)
	if err := s.cfg.Accounts.Logout(r.Context(), token); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, _ *http.Request, who Principal) error {
	writeJSON(w, http.StatusOK, who.User)
	return nil
}

// principal resolves the bearer token: the admin token is the operator;
// any other token must be a signed-in user's.
func (s *Server) principal(r *http.Request) (Principal, error) {
	token, ok := bearer(r)
	if !ok {
		return Principal{}, steady.Errorf(steady.Unauthorized, "server", "sign in first: send Authorization: Bearer <token>")
	}
	if s.cfg.AdminToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) == 1 {
		return Principal{Operator: true}, nil
	}
	u, err := s.cfg.Accounts.Authenticate(r.Context(), token)
	if err != nil {
		return Principal{}, err
	}
	return Principal{User: u, Operator: u.Operator}, nil
}

// clientAddr is the peer's IP, for login limits. Proxy headers are not
// trusted: a client could forge them to dodge the limit.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
