// Package client is a Go client for Steady's HTTP API (package server).
// Its methods mirror the routes one for one; what they answer uses the
// domain types of the layers behind the server (agent, memory, tracestore,
// eval, account), so a program that uses both the client and a layer
// directly sees one set of types.
//
// Errors the server answers come back as *steady.Error with the server's
// code and message, so callers test them with steady.Is.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/steady-voice/steady"
)

// maxResponseBytes bounds what the client reads of one answer: an
// evaluation run with its rows is the largest, at a few MB.
const maxResponseBytes = 64 << 20

// Client calls one Steady server. It is safe for concurrent use; the token
// it sends is shared by every call.
type Client struct {
	base string
	http *http.Client

	mu    sync.RWMutex
	token string
}

// New returns a client of the server at baseURL (e.g.
// "http://127.0.0.1:8080"). A nil httpClient means http.DefaultClient.
func New(baseURL string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), http: httpClient}
}

// SetToken sets the bearer token sent with every call: a user's (Register
// and Login set it) or the operator's admin token. "" sends none.
func (c *Client) SetToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = token
}

// Token is the bearer token the client sends.
func (c *Client) Token() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.token
}

// call sends in (if not nil) as JSON to method path?query and decodes the
// answer into out (if not nil). An answer of 400 or more is an error.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	status, body, err := c.do(ctx, method, path, query, in)
	if err != nil {
		return err
	}
	if status >= 400 {
		return answerError(method+" "+path, status, body)
	}
	if out == nil || len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return steady.Errorf(steady.Internal, method+" "+path, "the server's answer: %w", err)
	}
	return nil
}

// do sends one request and reads the whole answer, whatever its status.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in any) (int, []byte, error) {
	req, err := c.request(ctx, method, path, query, in)
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, steady.Wrap(steady.Unavailable, method+" "+path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return 0, nil, steady.Wrap(steady.Unavailable, method+" "+path, err)
	}
	return resp.StatusCode, body, nil
}

func (c *Client) request(ctx context.Context, method, path string, query url.Values, in any) (*http.Request, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, steady.Errorf(steady.Invalid, method+" "+path, "request body: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, steady.Errorf(steady.Invalid, method+" "+path, "%w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if t := c.Token(); t != "" {
		req.Header.Set("Authorization", "Bearer "+t)
	}
	return req, nil
}

// answerError turns an error answer into a *steady.Error: the server's
// code and message when it sent its JSON error, else a code from the
// status (the mux's own 404 and 405 are plain text).
func answerError(op string, status int, body []byte) error {
	var e struct {
		Error struct {
			Code    steady.Code `json:"code"`
			Message string      `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		return &steady.Error{Code: e.Error.Code, Op: op, Msg: e.Error.Message}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return &steady.Error{Code: steady.CodeOfStatus(status), Op: op, Msg: fmt.Sprintf("%d %s: %s", status, http.StatusText(status), msg)}
}

// pathf builds a path whose arguments are escaped: an id must never
// reach another route.
func pathf(format string, args ...string) string {
	esc := make([]any, len(args))
	for i, a := range args {
		esc[i] = url.PathEscape(a)
	}
	return fmt.Sprintf(format, esc...)
}
