package client_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/server/client"
)

func TestErrorsCarryTheServersCode(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   steady.Code
		msg    string
	}{
		{"JSON error", 409, `{"error": {"code": "conflict", "message": "server: taken"}}`, steady.Conflict, "server: taken"},
		{"plain-text 404 of the mux", 404, "404 page not found\n", steady.NotFound, "page not found"},
		{"plain-text 405 of the mux", 405, "Method Not Allowed\n", steady.Invalid, "Method Not Allowed"},
		{"a proxy's 502", 502, "<html>bad gateway</html>", steady.Unavailable, "bad gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer ts.Close()
			_, err := client.New(ts.URL, nil).Profile(t.Context())
			var e *steady.Error
			if !errors.As(err, &e) || e.Code != tt.want || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got %#v, want code %q with %q", err, tt.want, tt.msg)
			}
		})
	}
}

func TestPathArgumentsAreEscaped(t *testing.T) {
	var got string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		w.Write([]byte(`{}`))
	}))
	defer ts.Close()
	c := client.New(ts.URL, nil)
	c.SetToken("t")
	if _, err := c.Send(t.Context(), "../../memory?x=1", "hi"); err != nil {
		t.Fatal(err)
	}
	if want := "/api/sessions/..%2F..%2Fmemory%3Fx=1/messages"; got != want {
		t.Errorf("path %q, want %q", got, want)
	}
}
