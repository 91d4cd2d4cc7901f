// Package remote holds what Steady's clients of remote model services (the
// embedders in embed, the text models in llm) do alike with what those
// services answer: find the explanation in an error body, tidy it for an
// error message without ever quoting the API key, and show a base URL
// without the credentials proxies put in it.
package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxRetries keeps a typo in a config file from turning one failed request
// into an hour of backoff.
const MaxRetries = 20

// MaxMessageBytes bounds the server text kept in an error: a proxy in front
// of the service may answer with a whole HTML page.
const MaxMessageBytes = 300

// ErrorMessage extracts the explanation from an error body in any of the
// shapes OpenAI-compatible servers use: {"error":{"message":…}} (OpenAI,
// LM Studio, vLLM), {"error":"…"} (Ollama, TEI), {"message":…} (older vLLM)
// or plain text.
func ErrorMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil {
		return string(body)
	}
	var nested struct {
		Message string `json:"message"`
	}
	var flat string
	switch {
	case json.Unmarshal(v.Error, &nested) == nil && nested.Message != "":
		return nested.Message
	case json.Unmarshal(v.Error, &flat) == nil && flat != "":
		return flat
	case v.Message != "":
		return v.Message
	}
	return string(body)
}

// BadModel reports a blank or padded model name, usually a stray space or
// newline from an environment file, which the server would reject with a
// less helpful message.
func BadModel(model string) bool { return model == "" || strings.TrimSpace(model) != model }

// Tidy makes a server's text fit an error message: one line, the key
// scrubbed (some servers quote the key they rejected), shortened.
func Tidy(s, apiKey string) string {
	return Shorten(strings.Join(strings.Fields(Redact(s, apiKey)), " "))
}

// Shorten cuts s to MaxMessageBytes on a rune boundary, marking the cut.
func Shorten(s string) string {
	if len(s) <= MaxMessageBytes {
		return s
	}
	cut := MaxMessageBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// minSecretLen is the shortest API key that is scrubbed from error text.
// Shorter "keys" are placeholders ("x", "sk") that local servers ignore;
// scrubbing them would garble every message and protect nothing.
const minSecretLen = 4

// Redact replaces every occurrence of secret in s.
func Redact(s, secret string) string {
	if len(secret) < minSecretLen {
		return s
	}
	return strings.ReplaceAll(s, secret, "[redacted]")
}

// ParseBaseURL checks a configured base URL and returns it with the form
// shown in errors: without user info, query or fragment (where proxies put
// credentials) and without a trailing slash. Its errors never quote the
// URL's password.
func ParseBaseURL(raw string) (*url.URL, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// Unwrapped: *url.Error quotes the whole URL, password and all.
		return nil, "", errors.Unwrap(err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", fmt.Errorf("%q: want http:// or https:// and a host", u.Redacted())
	}
	shown := *u
	shown.User, shown.RawQuery, shown.ForceQuery, shown.Fragment = nil, "", false, ""
	return u, strings.TrimSuffix(shown.String(), "/"), nil
}
