// Package evalstore joins eval and observe/tracestore, which may not import
// each other: tracestore may not import eval, and eval itself depends on
// observe only. It keeps evaluation runs in the trace store (traces.db), so
// that runs can be listed, reopened and compared later, and it scores calls
// already in the store (ScoreCall), keeping each verdict as feedback on its
// call.
package evalstore

import (
	"context"
	"encoding/json"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/observe/tracestore"
)

// Store is an eval.RunStore on a *tracestore.Store. Each run is one
// tracestore.RunRecord: the whole run as JSON in its Body, and the run
// without its Rows (id, name, scorers, times, summary) in its Summary, so
// that a listing decodes only the small part. Runs are kept until
// deleted: the retention of calls does not apply to them.
type Store struct {
	traces *tracestore.Store
}

var _ eval.RunStore = (*Store)(nil)

// New returns a Store on traces, which the caller keeps open while the
// Store is in use and closes afterwards.
func New(traces *tracestore.Store) *Store {
	return &Store{traces: traces}
}

// SaveRun stores run. Unlike the replacement eval.RunStore allows, a run
// whose id is already stored is a Conflict: a stored result is never
// silently overwritten (delete it first). A nil run, an empty id, a run
// that cannot be encoded as JSON (a NaN score) or one over
// tracestore.MaxRunBytes is Invalid.
func (s *Store) SaveRun(ctx context.Context, run *eval.Run) error {
	const op = "evalstore.SaveRun"
	if run == nil {
		return steady.Errorf(steady.Invalid, op, "no run")
	}
	rec, err := record(run)
	if err != nil {
		return steady.Errorf(steady.Invalid, op, "run %q: %w", run.ID, err)
	}
	return s.traces.SaveRun(ctx, rec)
}

// record encodes run; its CreatedAt is when the run finished, so that a
// listing shows the latest results first.
func record(run *eval.Run) (tracestore.RunRecord, error) {
	body, err := json.Marshal(run)
	if err != nil {
		return tracestore.RunRecord{}, err
	}
	head := *run
	head.Rows = nil
	summary, err := json.Marshal(&head)
	if err != nil {
		return tracestore.RunRecord{}, err
	}
	return tracestore.RunRecord{ID: run.ID, Name: run.Name, CreatedAt: run.Finished,
		Rows: len(run.Rows), Summary: summary, Body: body}, nil
}

// LoadRun returns the run stored under id, or NotFound.
func (s *Store) LoadRun(ctx context.Context, id string) (*eval.Run, error) {
	const op = "evalstore.LoadRun"
	rec, err := s.traces.LoadRun(ctx, id)
	if err != nil {
		return nil, err
	}
	return decode(op, rec.ID, rec.Body)
}

// ListRuns returns up to limit runs, most recently finished first, with
// their Summary and without their Rows. A limit outside
// 1…tracestore.MaxListRuns is Invalid.
func (s *Store) ListRuns(ctx context.Context, limit int) ([]*eval.Run, error) {
	const op = "evalstore.ListRuns"
	recs, err := s.traces.ListRuns(ctx, limit)
	if err != nil {
		return nil, err
	}
	runs := make([]*eval.Run, 0, len(recs))
	for _, rec := range recs {
		run, err := decode(op, rec.ID, rec.Summary)
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// DeleteRun deletes the run stored under id, or returns NotFound.
func (s *Store) DeleteRun(ctx context.Context, id string) error {
	return s.traces.DeleteRun(ctx, id)
}

// decode reads a stored run. A record this package did not write (no
// summary, or other JSON) is Internal: the file holds something unexpected.
func decode(op, id string, data json.RawMessage) (*eval.Run, error) {
	var run eval.Run
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, steady.Errorf(steady.Internal, op, "run %q: %w", id, err)
	}
	return &run, nil
}
