package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io/fs"

	"github.com/steady-voice/steady"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var (
	errClosed = errors.New("the store is closed")
	errMoved  = errors.New("the database file was removed or replaced")
)

// classify turns err into the *steady.Error the Store contract promises.
// Errors the store made on purpose (NotFound, Conflict, Invalid) pass
// through; what SQLite, the file system or database/sql report is
// Unavailable when retrying may help, Internal otherwise.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*steady.Error); ok {
		return err
	}
	if unavailable(err) {
		return steady.Wrap(steady.Unavailable, op, err)
	}
	return steady.Wrap(steady.Internal, op, err)
}

func unavailable(err error) bool {
	var pathErr *fs.PathError
	switch {
	case errors.Is(err, errClosed), errors.Is(err, errMoved), errors.Is(err, sql.ErrConnDone), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &pathErr):
		return true
	}
	switch sqliteCode(err) & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
		sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL,
		sqlite3.SQLITE_INTERRUPT: // the caller's context ended
		return true
	}
	return false
}

// fatal reports whether err, returned by one write of a group, dooms the
// whole transaction. A write refuses itself with a *steady.Error; anything
// else comes from SQLite, which may already have rolled back.
func fatal(err error) bool {
	if err == nil {
		return false
	}
	_, ok := err.(*steady.Error)
	return !ok
}

// duplicate reports whether err is a primary key or unique violation.
func duplicate(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || c == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}
