package sqlitestore

import (
	"context"
	"database/sql"
	"slices"
)

// SQLite lets one connection write at a time. Rather than have many
// connections take turns on the file lock, polling for it under
// busy_timeout, one goroutine owns the only writing connection and commits
// every write waiting when it becomes free in one transaction: 32 writers
// pay for one commit instead of 32 (BenchmarkPutIntervention compares the
// two). Each write runs in its own savepoint, so one that fails (a
// Conflict, say) leaves the others of its group intact, and each caller is
// answered only after the commit that made its write durable.

const (
	queueLen = 256 // writes waiting for the writer; more block their callers
	maxGroup = 128 // writes committed together at most
)

// A write is one caller's part of a group transaction.
type write struct {
	ctx   context.Context // checked before apply runs; never interrupts a group
	apply func(tx wtx) error
	after func() // runs once apply's changes are committed (cache updates)
	done  chan error
}

type writer struct {
	db *sql.DB // at most one connection
	// beforeCommit runs just before each COMMIT; an error rolls back.
	beforeCommit func() error
	queue        chan *write
	stopped      chan struct{}
	maxGroup     int // maxGroup, or 1 to measure what grouping gains
	stmts        map[string]*sql.Stmt
	// group and errs are reused by the writer goroutine from one group to
	// the next, so a busy writer allocates nothing per group.
	group []*write
	errs  []error
}

// startWriter prepares the statements writes run most, and starts the
// writer goroutine.
func startWriter(ctx context.Context, db *sql.DB, beforeCommit func() error) (*writer, error) {
	w := &writer{db: db, beforeCommit: beforeCommit, queue: make(chan *write, queueLen),
		stopped: make(chan struct{}), maxGroup: maxGroup, stmts: map[string]*sql.Stmt{}}
	for _, q := range prepared {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return nil, err
		}
		w.stmts[q] = st
	}
	go w.run()
	return w, nil
}

// submit queues apply and waits for its outcome. Once queued, a write is
// waited for even if ctx ends, so that the error returned always tells the
// truth about whether the write happened. The caller must be inside the store's
// gate (Store.guard), which keeps the queue open.
func (w *writer) submit(ctx context.Context, apply func(wtx) error, after func()) error {
	wr := &write{ctx: ctx, apply: apply, after: after, done: make(chan error, 1)}
	select {
	case w.queue <- wr:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-wr.done
}

// stop commits what is queued, ends the goroutine and closes the connection.
// No submit may be running or start.
func (w *writer) stop() error {
	close(w.queue)
	<-w.stopped
	return w.db.Close()
}

func (w *writer) run() {
	defer close(w.stopped)
	for first := range w.queue {
		w.commit(w.gather(first))
	}
}

// gather takes first and every write already waiting behind it. It never
// waits for more: a lone writer pays no latency for grouping.
func (w *writer) gather(first *write) []*write {
	w.group = append(w.group[:0], first)
	for len(w.group) < w.maxGroup {
		select {
		case wr, ok := <-w.queue:
			if !ok {
				return w.group
			}
			w.group = append(w.group, wr)
		default:
			return w.group
		}
	}
	return w.group
}

// commit runs a group in one transaction and answers every write in it.
func (w *writer) commit(group []*write) {
	w.errs = slices.Grow(w.errs[:0], len(group))[:len(group)]
	clear(w.errs)
	err := w.transact(group, w.errs)
	for i, wr := range group {
		if err != nil {
			w.errs[i] = err // the transaction failed: no write of the group happened
		}
		if w.errs[i] == nil && wr.after != nil {
			wr.after()
		}
		wr.done <- w.errs[i]
		group[i] = nil // let the write be collected
	}
}

// transact applies each write of group, setting errs[i] to the outcome of
// the i-th, and commits. An error of the transaction itself is returned: it
// undoes the whole group.
func (w *writer) transact(group []*write, errs []error) error {
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	t := wtx{tx, w}
	alone := len(group) == 1
	for i, wr := range group {
		if errs[i] = wr.ctx.Err(); errs[i] != nil {
			continue // the caller gave up before its turn: nothing written
		}
		errs[i] = t.apply(wr, alone)
		switch {
		case fatal(errs[i]):
			// SQLite may have rolled back already; the first error is
			// the one worth reporting.
			_ = tx.Rollback()
			return errs[i]
		case alone && errs[i] != nil:
			return tx.Rollback() // a lone write needs no savepoint to undo it
		}
	}
	if err := w.beforeCommit(); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

const (
	sqlSavepoint  = `SAVEPOINT w`
	sqlRollbackTo = `ROLLBACK TO w`
	sqlRelease    = `RELEASE w`
)

// apply runs wr in a savepoint, rolled back if wr fails, unless wr is alone
// in its transaction.
func (t wtx) apply(wr *write, alone bool) error {
	if alone {
		return wr.apply(t)
	}
	if _, err := t.exec(sqlSavepoint); err != nil {
		return err
	}
	err := wr.apply(t)
	switch {
	case fatal(err):
		return err
	case err != nil:
		if _, rerr := t.exec(sqlRollbackTo); rerr != nil {
			return rerr
		}
	}
	if _, rerr := t.exec(sqlRelease); rerr != nil {
		return rerr
	}
	return err
}

// A wtx is the writer's transaction as writes see it. Its statements run
// with a context that is never cancelled, since interrupting one would roll
// back the whole group, and those listed in prepared are parsed once per
// Store rather than once per call: parsing is a fifth of a write's cost.
type wtx struct {
	tx *sql.Tx
	w  *writer
}

// prepared lists the statements of the frequent writes.
var prepared = []string{sqlSavepoint, sqlRollbackTo, sqlRelease, sqlInsertIntervention,
	sqlSelectForOutcome, sqlUpdateOutcome, sqlInsertReflection, sqlSessionVersion, sqlUpsertSession}

func (t wtx) exec(query string, args ...any) (sql.Result, error) {
	ctx := context.Background()
	if st, ok := t.w.stmts[query]; ok {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t wtx) query(query string, args ...any) (*sql.Rows, error) {
	ctx := context.Background()
	if st, ok := t.w.stmts[query]; ok {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t wtx) queryRow(query string, args ...any) *sql.Row {
	ctx := context.Background()
	if st, ok := t.w.stmts[query]; ok {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}
