// Package sqlitestore is the embedded default memory.Store: one SQLite file
// (memory.db under the data directory) opened with modernc.org/sqlite, so
// Steady needs neither cgo nor a server.
//
// One goroutine owns the only connection that writes. It commits the writes
// that queue up while it is busy in one transaction (group commit), each in
// its own savepoint, and answers each caller only once that transaction is
// committed. Reads use a small pool of read-only connections, which WAL lets
// run beside the writer. Each user's candidates are cached in memory, so a
// search of a user seen recently runs no SQL at all.
//
// The cache sees only the writes of its own Store: open one Store per file.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/internal/sqlitedb"
	"github.com/steady-voice/steady/memory"
)

// Options tune a Store. The zero value is ready for production.
type Options struct {
	Now           func() time.Time // clock for expiry; default time.Now
	PurgeInterval time.Duration    // how often expired rows are deleted; default 1 minute; <0 disables
	CacheUsers    int              // users whose candidates are kept in memory; default 1024; <0 disables
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PurgeInterval == 0 {
		o.PurgeInterval = time.Minute
	}
	if o.CacheUsers == 0 {
		o.CacheUsers = 1024
	}
	return o
}

// Store is a memory.Store on one SQLite file. It is safe for concurrent use.
type Store struct {
	path  string
	file  os.FileInfo // the database file as opened, to notice it was removed
	now   func() time.Time
	rdb   *sql.DB // read-only connections
	w     *writer // the only path to the writing connection
	cache *cache

	// gate is passed by every call and closed by Close, so Close waits for
	// calls in flight and later calls fail cleanly.
	gate sqlitedb.Gate

	purgeEvery time.Duration
	purgeReq   chan chan purgeResult // lets tests run a purge in the purge goroutine
	quit       chan struct{}         // closed by Close to stop the purge goroutine
	purgeDone  chan struct{}         // closed when the purge goroutine has returned
	closeOnce  sync.Once
	closeErr   error
}

var _ memory.Store = (*Store)(nil)

const (
	busyTimeout = "5000" // ms; only other processes can hold the write lock
	readers     = 4      // read connections; each has its own page cache
)

// Open opens the memory database at path, creating the file (readable by its
// owner only: it holds what people said about themselves) and bringing its
// schema up to date. The directory must exist. The Store runs a goroutine
// until Close.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	const op = "sqlitestore.Open"
	opt = opt.withDefaults()
	abs, err := sqlitedb.CreateFile(path)
	if err != nil {
		return nil, steady.Wrap(steady.Unavailable, op, err)
	}
	s := &Store{
		path: abs, now: opt.Now, cache: newCache(opt.CacheUsers),
		purgeEvery: opt.PurgeInterval, purgeReq: make(chan chan purgeResult),
		quit: make(chan struct{}), purgeDone: make(chan struct{}),
	}
	if err := s.openDBs(ctx); err != nil {
		return nil, classify(op, err)
	}
	go s.purgeLoop()
	return s, nil
}

// openDBs opens the writing connection, migrates the schema with it, opens
// the read pool and starts the writer; on failure it closes what it opened.
func (s *Store) openDBs(ctx context.Context) error {
	wdb, err := sqlitedb.OpenWriter(s.path, busyTimeout, nil)
	if err != nil {
		return err
	}
	if err := sqlitedb.Migrate(ctx, wdb, migrations); err != nil {
		return errors.Join(err, wdb.Close())
	}
	if s.rdb, err = s.openReaders(ctx); err != nil {
		return errors.Join(err, wdb.Close())
	}
	if s.w, err = startWriter(ctx, wdb, s.beforeCommit); err != nil {
		return errors.Join(err, s.rdb.Close(), wdb.Close())
	}
	return nil
}

// openReaders opens the read pool, and notes which file it reads, so that
// checkFile can tell when the file is removed or replaced.
func (s *Store) openReaders(ctx context.Context) (*sql.DB, error) {
	n := max(readers, runtime.GOMAXPROCS(0))
	rdb, err := sqlitedb.OpenReaders(s.path, busyTimeout, n)
	if err != nil {
		return nil, err
	}
	if s.file, err = os.Stat(s.path); err == nil {
		err = rdb.PingContext(ctx)
	}
	if err != nil {
		return nil, errors.Join(err, rdb.Close())
	}
	return rdb, nil
}

// Ping checks that the database file is still the one opened and that
// SQLite answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.guard(ctx, "sqlitestore.Ping", func() error {
		var n int
		return s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&n)
	})
}

// guard runs f unless the store is closed, its file is gone or ctx is done,
// and keeps Close waiting until f has returned. Errors come back classified
// for op.
func (s *Store) guard(ctx context.Context, op string, f func() error) error {
	return classify(op, s.gate.Run(ctx, errClosed, func() error {
		if err := s.checkFile(); err != nil {
			return err
		}
		return f()
	}))
}

// checkFile fails if the database file is no longer the one opened. Once
// its directory is removed, SQLite goes on reading and writing the unlinked
// file, and every write would be lost with it. A stat costs about a
// microsecond, next to tens for a statement and hundreds for a search.
func (s *Store) checkFile() error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return err
	}
	if !os.SameFile(fi, s.file) {
		return errMoved
	}
	return nil
}

// beforeCommit runs in the writer before each COMMIT: a group is committed
// only to the file that was opened, and the cache learns a commit is coming.
func (s *Store) beforeCommit() error {
	if err := s.checkFile(); err != nil {
		return err
	}
	s.cache.committing()
	return nil
}

// Close stops the purge goroutine, waits for the calls in flight and the
// queued writes, and closes the database. Later calls fail as Unavailable.
// Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.purgeDone
		s.gate.Close()
		s.closeErr = errors.Join(s.w.stop(), s.rdb.Close())
		s.closeErr = classify("sqlitestore.Close", s.closeErr)
	})
	return s.closeErr
}
