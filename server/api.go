package server

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/steady-voice/steady"
)

// registerAPI registers the sessions, memory and observability routes,
// health and metrics, and the OpenAPI document that describes them all.
func (s *Server) registerAPI() {
	s.state = &apiState{sessions: newSessions(s.cfg.Agent, s.log, s.cfg.Now, s.cfg.SessionTTL),
		evalSlot: make(chan struct{}, 1)}
	s.registerHealth()
	s.registerSessions()
	s.registerMemory()
	s.registerObservability()
	s.registerDashboardAPI()
	s.handle("GET", "/api/openapi.json", Public, serveOpenAPI)
}

// apiState is what the API keeps between requests.
type apiState struct {
	sessions *sessions
	// evalSlot holds the one evaluation that may run at a time.
	evalSlot chan struct{}
}

// intParam reads an optional integer query parameter within [lo, hi];
// def when absent.
func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, steady.Errorf(steady.Invalid, "server", "%s=%q: want a whole number from %d to %d", name, clip(v), lo, hi)
	}
	return n, nil
}

// boolParam reads an optional true/false query parameter.
func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, steady.Errorf(steady.Invalid, "server", "%s=%q: want true or false", name, clip(v))
	}
	return b, nil
}

// timeParam reads an optional point in time: RFC 3339, or a duration
// ("24h") meaning that long before now. Zero when absent.
func timeParam(q url.Values, name string, now time.Time) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, steady.Errorf(steady.Invalid, "server", "%s=%q: want an RFC 3339 time or a duration such as 24h", name, clip(v))
}

// clip shortens what a caller sent before it is quoted in an error.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}

// list wraps a slice so that an empty one is sent as [], not null.
func list[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}
