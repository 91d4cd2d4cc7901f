package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/observe/tracestore"
	"github.com/steady-voice/steady/server/api"
)

// readyTimeout bounds each readiness check: a probe that hangs is a
// failure, and load balancers give up after a few seconds anyway.
const readyTimeout = 2 * time.Second

// /metrics is Public, like the health probes, so a Prometheus scraper needs
// no token: it shows counts and latencies by route and op, never what a
// user said or who they are. It is served on the same listener as the API,
// which binds loopback by default; expose it no wider than the API.
func (s *Server) registerHealth() {
	s.handle("GET", "/healthz", Public, s.healthz)
	s.handle("GET", "/readyz", Public, s.readyz)
	s.handle("GET", "/metrics", Public, s.metrics)
}

// Readiness is what /readyz answers.
type Readiness = api.Readiness

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ Principal) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz checks the stores a request needs. A failure answers 503 with the
// usual error body plus the checks; the causes, which may name files or
// hosts, go to the log, not to the public.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ Principal) error {
	ready := Readiness{Status: "ready", Checks: map[string]string{}}
	var down []string
	for name, check := range s.readinessChecks() {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := check(ctx)
		cancel()
		if err != nil {
			s.log.Warn("not ready", "check", name, "err", err)
			ready.Status, ready.Checks[name] = "unavailable", "unavailable"
			down = append(down, name)
			continue
		}
		ready.Checks[name] = "ok"
	}
	if len(down) == 0 {
		writeJSON(w, http.StatusOK, ready)
		return nil
	}
	slices.Sort(down)
	var body struct {
		errorBody
		Readiness
	}
	body.Readiness = ready
	body.Error.Code = steady.Unavailable
	body.Error.Message = "not ready: " + strings.Join(down, ", ") + " unavailable"
	writeJSON(w, http.StatusServiceUnavailable, body)
	return nil
}

func (s *Server) readinessChecks() map[string]func(context.Context) error {
	checks := map[string]func(context.Context) error{"memory": s.cfg.Memory.Ping}
	if st := s.cfg.Traces; st != nil {
		checks["traces"] = func(ctx context.Context) error {
			_, err := st.Calls(ctx, tracestore.Filter{Limit: 1})
			return err
		}
	}
	return checks
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ Principal) error {
	if s.cfg.Metrics == nil {
		return steady.Errorf(steady.NotFound, "server", "this server exports no metrics")
	}
	s.cfg.Metrics.ServeHTTP(w, r)
	return nil
}
