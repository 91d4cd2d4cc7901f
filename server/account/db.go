package account

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"runtime"

	"github.com/steady-voice/steady/internal/sqlitedb"
)

// migrations[i] brings the schema from version i to i+1; PRAGMA
// user_version holds the version of a file. Append, never edit.
//
// Times are Unix nanoseconds. A token is kept only as the hex SHA-256 of
// what the client holds: a copy of the file signs nobody in. A plain hash
// suffices (no salt, no stretching) because a token has 256 random bits.
var migrations = []string{
	// 1: the first schema.
	`CREATE TABLE users (
		id         TEXT    NOT NULL PRIMARY KEY,  -- UUIDv7
		name       TEXT    NOT NULL,
		email      TEXT    NOT NULL UNIQUE,       -- trimmed, lower-cased
		password   TEXT    NOT NULL,              -- argon2id PHC string
		created_at INTEGER NOT NULL
	) STRICT;

	CREATE TABLE tokens (
		hash       TEXT    NOT NULL PRIMARY KEY,  -- hex SHA-256 of the token
		user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	) STRICT;
	CREATE INDEX tokens_by_user ON tokens (user_id);
	CREATE INDEX tokens_by_expiry ON tokens (expires_at);`,
}

const (
	busyTimeout = "5000" // ms; only other processes can hold the write lock
	readers     = 4
)

var errClosed = errors.New("the account store is closed")

// openDBs creates the file, opens the writing connection, migrates the
// schema with it, then opens the read pool; on failure it closes what it
// opened.
func (s *Store) openDBs(ctx context.Context, path string) error {
	abs, err := sqlitedb.CreateFile(path)
	if err != nil {
		return err
	}
	s.path = abs
	wdb, err := sqlitedb.OpenWriter(abs, busyTimeout, url.Values{"_foreign_keys": {"1"}})
	if err != nil {
		return err
	}
	if err := sqlitedb.Migrate(ctx, wdb, migrations); err != nil {
		return errors.Join(err, wdb.Close())
	}
	rdb, err := sqlitedb.OpenReaders(abs, busyTimeout, max(readers, runtime.GOMAXPROCS(0)))
	if err == nil {
		err = rdb.PingContext(ctx)
	}
	if err != nil {
		return errors.Join(err, wdb.Close())
	}
	s.wdb, s.rdb = wdb, rdb
	return nil
}

// guard runs f unless the store is closed or ctx is done, and keeps Close
// waiting until f has returned. Errors come back classified for op.
func (s *Store) guard(ctx context.Context, op string, f func() error) error {
	return classify(op, s.gate.Run(ctx, errClosed, f))
}

// write runs f in one IMMEDIATE transaction on the writing connection.
func (s *Store) write(ctx context.Context, f func(tx *sql.Tx) error) error {
	return sqlitedb.Write(ctx, &s.wmu, s.wdb, f)
}

// classify turns err into a *steady.Error: errors the store made on purpose
// pass through; a closed store, an ended context, a full disk, an I/O
// error or a file locked by another process are Unavailable, since trying
// again later may succeed; anything else is Internal.
func classify(op string, err error) error { return sqlitedb.Classify(op, err, errClosed) }

// duplicate reports whether err is a unique or primary key violation.
func duplicate(err error) bool { return sqlitedb.Duplicate(err) }
