package sqlitedb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io/fs"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/steady-voice/steady"
)

// Code is the SQLite result code of err, extended bits included, or 0 when
// err is not SQLite's.
func Code(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// Duplicate reports whether err is a primary key or unique violation.
func Duplicate(err error) bool {
	c := Code(err)
	return c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || c == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// Transient reports whether trying again later may succeed where err
// failed: the caller's context ended, the connection or the file went away,
// or SQLite was locked by another process, out of memory or disk, or hit an
// I/O error.
func Transient(err error) bool {
	var pathErr *fs.PathError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, sql.ErrConnDone), errors.Is(err, driver.ErrBadConn), errors.As(err, &pathErr):
		return true
	}
	switch Code(err) & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
		sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL,
		sqlite3.SQLITE_INTERRUPT: // the caller's context ended
		return true
	}
	return false
}

// Classify turns err into the *steady.Error a store promises: errors the
// store made on purpose (any *steady.Error) pass through; transient ones,
// and the store's own "gone" errors (closed, file replaced), are
// Unavailable; anything else is Internal.
func Classify(op string, err error, gone ...error) error {
	if err == nil {
		return nil
	}
	var se *steady.Error
	if errors.As(err, &se) {
		return err
	}
	if Transient(err) {
		return steady.Wrap(steady.Unavailable, op, err)
	}
	for _, g := range gone {
		if errors.Is(err, g) {
			return steady.Wrap(steady.Unavailable, op, err)
		}
	}
	return steady.Wrap(steady.Internal, op, err)
}

// Write runs f in one transaction on the writing connection db, one writer
// at a time under mu, rolling back when f fails.
func Write(ctx context.Context, mu *sync.Mutex, db *sql.DB, f func(tx *sql.Tx) error) error {
	mu.Lock()
	defer mu.Unlock()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}
