package sqlitestore

import (
	"errors"
	"github.com/steady-voice/steady/internal/sqlitedb"

	"github.com/steady-voice/steady"
)

var (
	errClosed = errors.New("the store is closed")
	errMoved  = errors.New("the database file was removed or replaced")
)

// classify turns err into the *steady.Error the Store contract promises.
// Errors the store made on purpose (NotFound, Conflict, Invalid) pass
// through; what SQLite, the file system or database/sql report is
// Unavailable when retrying may help, Internal otherwise.
func classify(op string, err error) error { return sqlitedb.Classify(op, err, errClosed, errMoved) }

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
