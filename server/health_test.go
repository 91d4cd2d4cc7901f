package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/server"
)

func TestHealthAndReadiness(t *testing.T) {
	r := newRig(t)
	c := r.client()
	must(t, c.Health(r.ctx))
	ready, err := c.Ready(r.ctx)
	must(t, err)
	if ready.Status != "ready" || ready.Checks["memory"] != "ok" || ready.Checks["traces"] != "ok" {
		t.Errorf("readiness %+v, want memory and traces ok", ready)
	}

	must(t, r.traces.Close())
	ready, err = c.Ready(r.ctx)
	wantCode(t, "ready with the trace store closed", err, steady.Unavailable)
	if err != nil && !strings.Contains(err.Error(), "traces") {
		t.Errorf("error %q does not name the trace store", err)
	}
	if ready.Checks["traces"] == "ok" || ready.Checks["memory"] != "ok" {
		t.Errorf("readiness %+v, want traces down and memory ok", ready)
	}
	must(t, c.Health(r.ctx)) // the process is still up
}

func TestMetrics(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	sess, err := ana.StartSession(r.ctx)
	must(t, err)
	_, err = ana.Send(r.ctx, sess.ID, "I need to clean my room but I don't know where to start")
	must(t, err)
	_, err = ana.Send(r.ctx, "no-such-session", "hi")
	wantCode(t, "send to no session", err, steady.NotFound)

	must(t, r.recorder.Flush(r.ctx)) // the intervention is recorded in the background
	text, err := r.client().Metrics(r.ctx)
	must(t, err)
	for _, want := range []string{
		`memory.record"`, // the memory layer's record and search counters
		`memory.search"`,
		`steady_op_calls_total{`,
		`steady_op_duration_seconds_bucket{`,
		`http_route="/api/sessions/{id}/messages"`,
		`http_response_status_code="404"`,
		`http_server_request_duration_seconds_count{`,
		`steady_recorder_queued`,
		`steady_recorder_spool_pending`,
		`steady_trace_spans_dropped_total`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
	if strings.Contains(text, "no-such-session") || strings.Contains(text, sess.ID) {
		t.Error("/metrics labels a request by its path: ids must not become labels")
	}
}

func TestMetricsAbsentIsNotFound(t *testing.T) {
	r := newRig(t, func(c *server.Config) { c.Metrics = nil })
	_, err := r.client().Metrics(r.ctx)
	wantCode(t, "metrics when none are configured", err, steady.NotFound)
}

// TestOpenAPIDescribesEveryRoute checks that the document lists exactly
// the registered routes, with their methods and path parameters.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	r := newRig(t)
	resp, err := http.Get(r.url + "/api/openapi.json")
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", doc.OpenAPI)
	}
	var documented, registered []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	for _, rt := range r.srv.Routes() {
		// {$} anchors a mux pattern at its end; OpenAPI paths are exact.
		registered = append(registered, rt.Method+" "+strings.TrimSuffix(rt.Pattern, "{$}"))
	}
	slices.Sort(documented)
	slices.Sort(registered)
	for _, rt := range registered {
		if !slices.Contains(documented, rt) {
			t.Errorf("route %s is not in the OpenAPI document", rt)
		}
	}
	for _, op := range documented {
		if !slices.Contains(registered, op) {
			t.Errorf("the OpenAPI document has %s, which is not a route", op)
		}
	}
	checkPathParameters(t, body)
}

// checkPathParameters checks that each {param} of a path is declared.
func checkPathParameters(t *testing.T, body []byte) {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In string } `json:"parameters"`
		} `json:"paths"`
	}
	must(t, json.Unmarshal(body, &doc))
	param := regexp.MustCompile(`\{([a-z_]+)\}`)
	for path, ops := range doc.Paths {
		for method, op := range ops {
			for _, m := range param.FindAllStringSubmatch(path, -1) {
				if !slices.ContainsFunc(op.Parameters, func(p struct{ Name, In string }) bool { return p.Name == m[1] && p.In == "path" }) {
					t.Errorf("%s %s does not declare the path parameter %s", method, path, m[1])
				}
			}
		}
	}
}
