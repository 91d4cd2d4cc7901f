// Package tracestore is the embedded store of calls behind the dashboard and
// the `steady traces` commands: one SQLite file (traces.db) opened with
// modernc.org/sqlite.
//
// A Store is an OpenTelemetry SpanExporter: plugged into a TracerProvider,
// each span it receives becomes one call row. Traces are operational data,
// not memory: rows older than Options.Retention, and the oldest rows once
// the file outgrows Options.MaxBytes, are deleted in the background, and a
// call's feedback goes with it.
//
// One connection writes (ExportSpans, AddFeedback, purges take turns on it)
// and a small pool of read-only connections serves queries beside it, which
// WAL allows.
package tracestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/internal/sqlitedb"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	sqlite3 "modernc.org/sqlite/lib"
)

// Options tune a Store. The zero value is ready for production.
type Options struct {
	Now           func() time.Time // clock for retention; default time.Now
	Retention     time.Duration    // how long calls are kept; default 7 days
	MaxBytes      int64            // size cap of the file's live pages; default 256 MiB
	PurgeInterval time.Duration    // how often purges run; default 1 minute; <0 disables
}

const (
	defaultRetention = 7 * 24 * time.Hour
	defaultMaxBytes  = 256 << 20
)

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Retention <= 0 {
		o.Retention = defaultRetention
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = defaultMaxBytes
	}
	if o.PurgeInterval == 0 {
		o.PurgeInterval = time.Minute
	}
	return o
}

// Store is the call store on one SQLite file. It is safe for concurrent use.
type Store struct {
	path string
	opt  Options
	wdb  *sql.DB // the only writing connection
	rdb  *sql.DB // read-only connections

	// wmu serialises the writers of this process on wdb, so that a purge
	// chunk and an export never wait on SQLite's busy handler.
	wmu sync.Mutex

	// gate is passed by every call and closed by Close, so Close waits for
	// calls in flight and later calls fail cleanly.
	gate sqlitedb.Gate
	// exportsDone is set by Shutdown.
	exportsDone atomic.Bool

	quit      chan struct{} // closed by Close to stop the purge goroutine
	purgeDone chan struct{}
	closeOnce sync.Once
	closeErr  error
}

var _ sdktrace.SpanExporter = (*Store)(nil)

const (
	// busyTimeout bounds how long a write waits for another process
	// holding the file's write lock: an export must never stall its
	// processor for long.
	busyTimeout = "2000" // ms
	readers     = 4
)

var (
	errClosed   = errors.New("the trace store is closed")
	errShutDown = errors.New("the trace store's exporter is shut down")
)

// Open opens the trace database at path, creating it (readable by its owner
// only: inputs and outputs hold what users said) and bringing its schema up
// to date. A file that is not a sound SQLite database is reported with its
// name. The Store runs a purge goroutine until Close.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	const op = "tracestore.Open"
	abs, err := sqlitedb.CreateFile(path)
	if err != nil {
		return nil, steady.Wrap(steady.Unavailable, op, err)
	}
	s := &Store{path: abs, opt: opt.withDefaults(),
		quit: make(chan struct{}), purgeDone: make(chan struct{})}
	if err := s.openDBs(ctx); err != nil {
		return nil, steady.Errorf(steady.Internal, op, "open %s: %w", abs, err)
	}
	go s.purgeLoop()
	return s, nil
}

// openDBs opens the writing connection, checks and migrates the file with
// it, then opens the read pool; on failure it closes what it opened.
func (s *Store) openDBs(ctx context.Context) error {
	// auto_vacuum only takes effect on a new file; incremental mode lets a
	// purge hand freed pages back to the file system, which the size cap
	// needs.
	wdb, err := sqlitedb.OpenWriter(s.path, busyTimeout, url.Values{
		"_auto_vacuum": {"incremental"}, "_foreign_keys": {"1"},
	})
	if err != nil {
		return err
	}
	var size int64
	if fi, err := os.Stat(s.path); err == nil {
		size = fi.Size()
	}
	if err := checkIntegrity(ctx, wdb, size); err != nil {
		return errors.Join(err, wdb.Close())
	}
	if err := sqlitedb.Migrate(ctx, wdb, migrations); err != nil {
		return errors.Join(err, wdb.Close())
	}
	n := max(readers, runtime.GOMAXPROCS(0))
	rdb, err := sqlitedb.OpenReaders(s.path, busyTimeout, n)
	if err == nil {
		err = rdb.PingContext(ctx)
	}
	if err != nil {
		return errors.Join(err, wdb.Close())
	}
	s.wdb, s.rdb = wdb, rdb
	return nil
}

// checkIntegrity fails on a file that is not a SQLite database or whose
// schema cannot be read and, for a file of at most quickCheckBytes, on
// damage anywhere: quick_check reads every page, which would delay the
// start-up of a 256 MiB store by seconds. Damage it did not look for
// surfaces as Internal errors, naming the file, of the queries that meet it.
func checkIntegrity(ctx context.Context, db *sql.DB, size int64) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&n); err != nil {
		return err
	}
	if size > quickCheckBytes {
		return nil
	}
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check(1)`).Scan(&result); err != nil {
		return err
	}
	if result != "ok" {
		return fmt.Errorf("database disk image is malformed: %s", result)
	}
	return nil
}

const quickCheckBytes = 32 << 20

// guard runs f unless the store is closed or ctx is done, and keeps Close
// waiting until f has returned. Errors come back classified for op.
func (s *Store) guard(ctx context.Context, op string, f func() error) error {
	err := s.gate.Run(ctx, errClosed, f)
	if corrupt(err) {
		return steady.Errorf(steady.Internal, op, "%s is damaged: %w", s.path, err)
	}
	return classify(op, err)
}

// corrupt reports whether err is SQLite finding a damaged file.
func corrupt(err error) bool {
	switch sqlitedb.Code(err) & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// Close stops the purge goroutine, waits for the calls in flight and closes
// the database. Later calls fail as Unavailable. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.purgeDone
		s.gate.Close()
		err := errors.Join(s.rdb.Close(), s.wdb.Close())
		s.closeErr = classify("tracestore.Close", err)
	})
	return s.closeErr
}

// Shutdown ends exporting: later ExportSpans fail as Unavailable. The
// TracerProvider calls it on its own Shutdown; queries go on working until
// Close, which whoever opened the store calls, so a dashboard still reads
// the calls while the provider shuts down.
func (s *Store) Shutdown(ctx context.Context) error {
	s.exportsDone.Store(true)
	return nil
}

// classify turns err into a *steady.Error: errors the store made on purpose
// pass through; a closed store, a cancelled context, a full disk, an I/O
// error or a file locked by another process are Unavailable, since trying
// again later may succeed; anything else is Internal.
func classify(op string, err error) error {
	return sqlitedb.Classify(op, err, errClosed, errShutDown)
}

// write runs f in one IMMEDIATE transaction on the writing connection.
func (s *Store) write(ctx context.Context, f func(tx *sql.Tx) error) error {
	return sqlitedb.Write(ctx, &s.wmu, s.wdb, f)
}
