package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/observe/tracestore"
	"github.com/steady-voice/steady/server/api"
)

// MaxEvalRows bounds an evaluation run over HTTP: it runs while the
// request waits, so a large dataset belongs to `steady eval run`.
const MaxEvalRows = 200

// opsWindow is how far back GET /api/ops looks without ?since.
const opsWindow = 24 * time.Hour

func (s *Server) registerObservability() {
	s.handle("GET", "/api/traces", Operator, s.listCalls)
	s.handle("GET", "/api/traces/{trace_id}", Operator, s.trace)
	s.handle("GET", "/api/ops", Operator, s.ops)
	s.handle("POST", "/api/calls/{call_id}/feedback", Operator, s.feedback)
	s.handle("GET", "/api/evaluations", Operator, s.listEvaluations)
	s.handle("POST", "/api/evaluations", Operator, s.runEvaluation)
	s.handle("GET", "/api/evaluations/{id}", Operator, s.evaluation)
	s.handle("GET", "/api/stats", Operator, s.totals)
}

// CallPage is a page of calls, newest first.
type CallPage = api.CallPage

type feedbackRequest struct {
	Reaction string             `json:"reaction"`
	Note     string             `json:"note"`
	Scores   map[string]float64 `json:"scores"`
}

type evaluationRequest struct {
	// Dataset is JSONL, one example a line; empty means the built-in
	// scenarios.
	Dataset string `json:"dataset"`
	Name    string `json:"name"`
}

var errNoTraces = steady.Errorf(steady.Unavailable, "server", "this server keeps no traces")

func (s *Server) traceStore() (*tracestore.Store, error) {
	if s.cfg.Traces == nil {
		return nil, errNoTraces
	}
	return s.cfg.Traces, nil
}

func (s *Server) listCalls(w http.ResponseWriter, r *http.Request, _ Principal) error {
	st, err := s.traceStore()
	if err != nil {
		return err
	}
	f, err := callFilter(r.URL.Query(), s.cfg.Now())
	if err != nil {
		return err
	}
	calls, err := st.Calls(r.Context(), f)
	if err != nil {
		return err
	}
	page := CallPage{Calls: list(calls)}
	if len(calls) == f.Limit {
		page.NextCursor = calls[len(calls)-1].Cursor
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// callFilter reads ?op&status&since&until&limit&cursor and attr.<key>=<value>.
func callFilter(q url.Values, now time.Time) (tracestore.Filter, error) {
	f := tracestore.Filter{Op: q.Get("op"), Status: q.Get("status"), Cursor: q.Get("cursor")}
	var err error
	if f.Limit, err = intParam(q, "limit", 100, 1, 1000); err != nil {
		return f, err
	}
	if f.Since, err = timeParam(q, "since", now); err != nil {
		return f, err
	}
	if f.Until, err = timeParam(q, "until", now); err != nil {
		return f, err
	}
	for k, vs := range q {
		if key, ok := strings.CutPrefix(k, "attr."); ok && key != "" && len(vs) > 0 {
			if f.Attrs == nil {
				f.Attrs = map[string]string{}
			}
			f.Attrs[key] = vs[0]
		}
	}
	return f, nil
}

func (s *Server) trace(w http.ResponseWriter, r *http.Request, _ Principal) error {
	st, err := s.traceStore()
	if err != nil {
		return err
	}
	calls, err := st.Trace(r.Context(), r.PathValue("trace_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		TraceID string            `json:"trace_id"`
		Calls   []tracestore.Call `json:"calls"`
	}{r.PathValue("trace_id"), calls})
	return nil
}

func (s *Server) ops(w http.ResponseWriter, r *http.Request, _ Principal) error {
	st, err := s.traceStore()
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	since, err := timeParam(r.URL.Query(), "since", now)
	if err != nil {
		return err
	}
	if since.IsZero() {
		since = now.Add(-opsWindow)
	}
	stats, err := st.OpStats(r.Context(), since)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Since time.Time           `json:"since"`
		Ops   []tracestore.OpStat `json:"ops"`
	}{since, list(stats)})
	return nil
}

func (s *Server) feedback(w http.ResponseWriter, r *http.Request, _ Principal) error {
	var req feedbackRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	st, err := s.traceStore()
	if err != nil {
		return err
	}
	fb, err := st.AddFeedback(r.Context(), r.PathValue("call_id"),
		tracestore.Feedback{Reaction: req.Reaction, Note: req.Note, Scores: req.Scores})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, fb)
	return nil
}

var errNoRuns = steady.Errorf(steady.Unavailable, "server", "this server keeps no evaluation runs")

func (s *Server) listEvaluations(w http.ResponseWriter, r *http.Request, _ Principal) error {
	if s.cfg.Runs == nil {
		return errNoRuns
	}
	limit, err := intParam(r.URL.Query(), "limit", 50, 1, tracestore.MaxListRuns)
	if err != nil {
		return err
	}
	runs, err := s.cfg.Runs.ListRuns(r.Context(), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Runs []*eval.Run `json:"runs"`
	}{list(runs)})
	return nil
}

func (s *Server) evaluation(w http.ResponseWriter, r *http.Request, _ Principal) error {
	if s.cfg.Runs == nil {
		return errNoRuns
	}
	run, err := s.cfg.Runs.LoadRun(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, run)
	return nil
}

// runEvaluation runs the agent over a dataset with the built-in scorers,
// stores the run and answers it. One run at a time: each row is a turn of
// the agent, and a second run would only slow both.
func (s *Server) runEvaluation(w http.ResponseWriter, r *http.Request, _ Principal) error {
	var req evaluationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if s.cfg.Runs == nil {
		return errNoRuns
	}
	rows, err := evalDataset(req.Dataset)
	if err != nil {
		return err
	}
	select {
	case s.state.evalSlot <- struct{}{}:
		defer func() { <-s.state.evalSlot }()
	default:
		return steady.Errorf(steady.Conflict, "server", "an evaluation is already running; try again when it is done")
	}
	run, err := s.evaluate(r.Context(), rows, req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, run)
	return nil
}

func evalDataset(jsonl string) ([]eval.Example, error) {
	if strings.TrimSpace(jsonl) == "" {
		return eval.Scenarios(), nil
	}
	rows, err := eval.ReadDataset(strings.NewReader(jsonl))
	if err != nil {
		return nil, err
	}
	if len(rows) > MaxEvalRows {
		return nil, steady.Errorf(steady.Invalid, "server", "dataset: %d rows, at most %d over HTTP; use steady eval run for more", len(rows), MaxEvalRows)
	}
	return rows, nil
}

// evaluate runs and stores one evaluation as its own user, who is
// forgotten afterwards: an evaluation never leaves anything in memory.
func (s *Server) evaluate(ctx context.Context, rows []eval.Example, name string) (*eval.Run, error) {
	id := uuid.Must(uuid.NewV7()).String()
	user := "eval-" + id
	if name == "" {
		name = s.cfg.Agent.Engine()
	}
	e := eval.Evaluation{Dataset: rows, Scorers: eval.Builtin()}
	run, err := e.Run(ctx, s.cfg.Agent.EvalModel(user), eval.RunOptions{ID: id, Name: name, Now: s.cfg.Now})
	s.flush(ctx)
	if _, ferr := s.cfg.Memory.Forget(context.WithoutCancel(ctx), user); ferr != nil {
		s.log.Warn("the evaluation's user was not forgotten", "user_id", user, "err", ferr)
	}
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Runs.SaveRun(ctx, run); err != nil {
		return nil, err
	}
	return run, nil
}

func (s *Server) totals(w http.ResponseWriter, r *http.Request, _ Principal) error {
	t, err := s.cfg.Memory.Totals(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
