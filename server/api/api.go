// Package api holds the JSON bodies of Steady's HTTP API that the server
// and its Go client (server/client) both spell out, declared once so the
// two cannot drift apart. It depends on the layers' own types only.
package api

import (
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/observe/tracestore"
)

// InterventionPage is a page of a user's interventions, newest first.
type InterventionPage struct {
	Interventions []memory.Intervention `json:"interventions"`
	// NextCursor resumes the listing; "" after the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Forgotten is what forgetting a user deleted.
type Forgotten struct {
	memory.Forgotten
	LiveSessions int `json:"live_sessions"` // open sessions dropped unrecorded
}

// CallPage is a page of calls, newest first.
type CallPage struct {
	Calls []tracestore.Call `json:"calls"`
	// NextCursor resumes the listing; "" when the page was not full.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Readiness is what /readyz answers: each dependency's state, "ok" or
// what is wrong with it.
type Readiness struct {
	Status string            `json:"status"` // "ready" or "unavailable"
	Checks map[string]string `json:"checks"`
}
