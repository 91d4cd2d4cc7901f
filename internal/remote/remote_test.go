package remote_test

import (
	"strings"
	"testing"

	"github.com/steady-voice/steady/internal/remote"
)

func TestErrorMessage(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"error": {"message": "model not found"}}`, "model not found"},
		{`{"error": "model not found"}`, "model not found"},
		{`{"message": "model not found"}`, "model not found"},
		{`<html>bad gateway</html>`, "<html>bad gateway</html>"},
		{`{"error": {}}`, `{"error": {}}`},
	}
	for _, tt := range tests {
		if got := remote.ErrorMessage([]byte(tt.body)); got != tt.want {
			t.Errorf("ErrorMessage(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestTidy(t *testing.T) {
	got := remote.Tidy("bad key\n  sk-secret-123 \t rejected", "sk-secret-123")
	if want := "bad key [redacted] rejected"; got != want {
		t.Errorf("Tidy = %q, want %q", got, want)
	}
	if got := remote.Tidy("key x is fine", "x"); got != "key x is fine" {
		t.Errorf("a placeholder key was scrubbed: %q", got)
	}
	long := strings.Repeat("é", remote.MaxMessageBytes)
	short := remote.Shorten(long)
	if len(short) > remote.MaxMessageBytes+len("…") || !strings.HasSuffix(short, "…") || !strings.HasPrefix(long, strings.TrimSuffix(short, "…")) {
		t.Errorf("Shorten cut %d bytes badly: %q…", len(short), short[:10])
	}
}

func TestParseBaseURL(t *testing.T) {
	u, shown, err := remote.ParseBaseURL("https://user:pw@example.com/v1/?key=k#f")
	if err != nil || shown != "https://example.com/v1" || u.User == nil {
		t.Errorf("got %v, %q, %v; want the URL kept and shown without credentials", u, shown, err)
	}
	for _, raw := range []string{"example.com/v1", "ftp://example.com", "http://[::1", "https://user:pw@/x"} {
		if _, _, err := remote.ParseBaseURL(raw); err == nil || strings.Contains(err.Error(), "pw") {
			t.Errorf("ParseBaseURL(%q) = %v, want an error without the password", raw, err)
		}
	}
}

func TestBadModel(t *testing.T) {
	for model, bad := range map[string]bool{"gpt-4o-mini": false, "": true, " gemini": true, "text-embedding-3-small\n": true} {
		if got := remote.BadModel(model); got != bad {
			t.Errorf("BadModel(%q) = %v, want %v", model, got, bad)
		}
	}
}
