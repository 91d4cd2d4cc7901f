// Package sqlitedb is what Steady's two SQLite files (memory.db, traces.db)
// share: creating the file privately, opening connections with pragmas set
// through the DSN, and migrating the schema by PRAGMA user_version.
package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// CreateFile creates the database file if it is missing and returns its
// absolute path. SQLite gives its WAL and shared-memory files the database
// file's mode, so creating it 0600 keeps all of them private.
func CreateFile(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", err
	}
	return abs, f.Close()
}

// Open returns a pool of at most conns connections to path, each opened with
// params (modernc's "_pragma"-style DSN parameters such as _journal_mode).
func Open(path string, conns int, params url.Values) (*sql.DB, error) {
	dsn := (&url.URL{Scheme: "file", Path: path, RawQuery: params.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	return db, nil
}

// OpenWriter opens the single writing connection: WAL, synchronous=NORMAL
// (a commit survives a process crash; the last ones may roll back on power
// loss, never half-written), transactions that take the write lock at BEGIN,
// and a busy timeout of busyMillis for other processes holding it. extra
// adds pragmas of the caller's own.
func OpenWriter(path, busyMillis string, extra url.Values) (*sql.DB, error) {
	params := url.Values{
		"_busy_timeout": {busyMillis}, "_journal_mode": {"WAL"},
		"_synchronous": {"NORMAL"}, "_txlock": {"immediate"},
	}
	for k, v := range extra {
		params[k] = v
	}
	return Open(path, 1, params)
}

// OpenReaders opens a pool of n read-only connections.
func OpenReaders(path, busyMillis string, n int) (*sql.DB, error) {
	return Open(path, n, url.Values{"_busy_timeout": {busyMillis}, "_query_only": {"1"}})
}

// Migrate brings the schema of db up to date in one transaction: migration
// i takes the file from version i to i+1, and PRAGMA user_version records
// where it is. A file newer than this program is an error, not a downgrade.
// Open the writing connection with _txlock=immediate, so two processes
// opening a new file at once migrate it one after the other.
func Migrate(ctx context.Context, db *sql.DB, migrations []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	var version int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program's %d", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations))); err != nil {
		return err
	}
	return tx.Commit()
}
