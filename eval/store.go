package eval

import "context"

// RunStore keeps evaluation runs so that they can be listed, reopened and
// compared later. eval only declares what it needs; observe/tracestore may
// not import eval, so an implementation (for example on traces.db) belongs
// in a package that may import both. A Run is plain JSON-encodable data, and
// a Run decoded from its JSON compares and summarises like the original.
type RunStore interface {
	// SaveRun stores run under run.ID; a run with that id already stored is
	// a Conflict (runs are results to compare, never silently replaced).
	// The store must not keep run after returning: it copies what it needs.
	SaveRun(ctx context.Context, run *Run) error
	// LoadRun returns the run with that id, or an error whose code is
	// steady.NotFound when there is none (or it has expired).
	LoadRun(ctx context.Context, id string) (*Run, error)
	// ListRuns returns up to limit runs, newest first, without their Rows
	// (Summary is filled in). The caller owns the returned slice.
	ListRuns(ctx context.Context, limit int) ([]*Run, error)
}
