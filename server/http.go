package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/server/account"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 64 << 10

// Principal is who is calling: a user, and whether they have the operator
// role. An admin-token caller is an operator with no user.
type Principal struct {
	User     account.User
	Operator bool
}

// handlerFunc is a route's handler: it writes a success itself and returns
// errors, which are written in one place.
type handlerFunc func(w http.ResponseWriter, r *http.Request, who Principal) error

// handle registers a route with the access it needs.
func (s *Server) handle(method, pattern string, access Access, h handlerFunc) {
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern, Access: access})
	s.mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, r *http.Request) {
		who, err := s.authorize(r, access)
		if err == nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
			err = h(w, r, who)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authorize checks the bearer token against the access a route needs.
func (s *Server) authorize(r *http.Request, access Access) (Principal, error) {
	if access == Public {
		return Principal{}, nil
	}
	who, err := s.principal(r)
	if err != nil {
		return Principal{}, err
	}
	switch {
	case access == Operator && !who.Operator:
		return Principal{}, steady.Errorf(steady.Forbidden, "server", "this needs the operator role")
	case access == User && who.User.ID == "":
		return Principal{}, steady.Errorf(steady.Forbidden, "server", "the admin token is not a user: sign in as one")
	}
	return who, nil
}

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    steady.Code `json:"code"`
	Message string      `json:"message"`
}

// writeError answers {"error": {"code", "message"}}. Internal errors are
// logged and answered without their detail, which may name files or hosts.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = steady.Errorf(steady.Invalid, "server", "the request body is over %d bytes", MaxBodyBytes)
	}
	code := steady.ErrorCode(err)
	var body errorBody
	body.Error.Code, body.Error.Message = code, err.Error()
	if code == steady.Internal {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		body.Error.Message = "something went wrong on our side; it has been logged"
	}
	writeJSON(w, code.HTTPStatus(), body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client hung up: nothing to do
}

// decode reads a JSON body into v: unknown fields, trailing data and bodies
// over MaxBodyBytes are Invalid.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return steady.Errorf(steady.Invalid, "server", "request body: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return steady.Errorf(steady.Invalid, "server", "request body: more than one JSON value")
	}
	return nil
}

func jsonProblem(err error) string {
	if errors.Is(err, io.EOF) {
		return "empty; want a JSON object"
	}
	return fmt.Sprint(err)
}

// unrouted turns the mux's own answer for a request no route takes (404,
// or 405 with its Allow header) into a JSON error, dropping its text.
type unrouted struct {
	http.ResponseWriter
	srv     *Server
	r       *http.Request
	written bool
}

func (u *unrouted) WriteHeader(code int) {
	if u.written {
		return
	}
	u.written = true
	u.Header().Del("Content-Type")
	u.Header().Del("X-Content-Type-Options")
	err := steady.Errorf(steady.NotFound, "server", "no route %s %s", u.r.Method, u.r.URL.Path)
	if code == http.StatusMethodNotAllowed {
		err = steady.Errorf(steady.Invalid, "server", "%s is not allowed here; allowed: %s", u.r.Method, u.Header().Get("Allow"))
		writeJSON(u.ResponseWriter, code, errorBody{Error: errorDetail{Code: err.Code, Message: err.Error()}})
		return
	}
	u.srv.writeError(u.ResponseWriter, u.r, err)
}

func (u *unrouted) Write(b []byte) (int, error) {
	if !u.written {
		u.WriteHeader(http.StatusNotFound)
	}
	return len(b), nil // the mux's text is replaced by the JSON above
}
