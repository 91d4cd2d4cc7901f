package server

import (
	"net/http"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/observe/tracestore"
)

// registerDashboardAPI registers the routes behind the dashboard's charts
// and comparisons: an op's latency over time, and two runs side by side.
func (s *Server) registerDashboardAPI() {
	s.handle("GET", "/api/ops/timeline", Operator, s.opTimeline)
	s.handle("GET", "/api/evaluations/compare", Operator, s.compareEvaluations)
}

// OpTimeline is an op's calls from Since to Until in equal buckets.
type OpTimeline struct {
	Op      string                `json:"op"`
	Since   time.Time             `json:"since"`
	Until   time.Time             `json:"until"`
	Buckets []tracestore.OpBucket `json:"buckets"`
}

// opTimeline answers ?op (required), ?since (default 24 hours ago) and
// ?buckets (default 24), up to now.
func (s *Server) opTimeline(w http.ResponseWriter, r *http.Request, _ Principal) error {
	st, err := s.traceStore()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	op := q.Get("op")
	if op == "" {
		return steady.Errorf(steady.Invalid, "server", "op: required")
	}
	now := s.cfg.Now()
	since, err := timeParam(q, "since", now)
	if err != nil {
		return err
	}
	if since.IsZero() {
		since = now.Add(-opsWindow)
	}
	n, err := intParam(q, "buckets", tracestore.DefaultBuckets, tracestore.MinBuckets, tracestore.MaxBuckets)
	if err != nil {
		return err
	}
	buckets, err := st.OpTimeline(r.Context(), op, since, now, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, OpTimeline{Op: op, Since: since, Until: now, Buckets: list(buckets)})
	return nil
}

// compareEvaluations answers eval.Compare of the stored runs ?a and ?b.
func (s *Server) compareEvaluations(w http.ResponseWriter, r *http.Request, _ Principal) error {
	if s.cfg.Runs == nil {
		return errNoRuns
	}
	q := r.URL.Query()
	var runs [2]*eval.Run
	for i, name := range []string{"a", "b"} {
		id := q.Get(name)
		if id == "" {
			return steady.Errorf(steady.Invalid, "server", "%s: required, the id of a stored run", name)
		}
		run, err := s.cfg.Runs.LoadRun(r.Context(), id)
		if err != nil {
			return err
		}
		runs[i] = run
	}
	cmp := eval.Compare(runs[0], runs[1])
	cmp.Scorers = list(cmp.Scorers)
	writeJSON(w, http.StatusOK, cmp)
	return nil
}
