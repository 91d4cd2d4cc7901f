package sqlitestore

// migrations[i] brings the schema from version i to i+1; PRAGMA user_version
// holds the version of a file. Append, never edit: files in the field carry
// the versions already applied.
//
// Times are Unix nanoseconds, the unit of memory's cursors, so a page resumes
// exactly where the last one ended. Every list is read through an index in
// its order, with expires_at as the index's last column so expired rows are
// skipped without visiting the table; purges scan the expires_at indexes.
var migrations = []string{
	// 1: the first schema.
	`CREATE TABLE interventions (
		user_id    TEXT    NOT NULL,
		id         TEXT    NOT NULL,
		session_id TEXT    NOT NULL,
		tool       TEXT    NOT NULL,
		category   TEXT    NOT NULL,
		context    TEXT    NOT NULL,
		text       TEXT    NOT NULL,
		task       TEXT    NOT NULL,
		args       TEXT,             -- JSON, NULL when none
		outcome    TEXT    NOT NULL,
		scores     TEXT,             -- JSON object, NULL when none
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		trace_id   TEXT    NOT NULL,
		call_id    TEXT    NOT NULL,
		embedding  BLOB,             -- little-endian float32s, NULL when none
		embedder   TEXT    NOT NULL,
		PRIMARY KEY (user_id, id)
	) STRICT;
	CREATE INDEX interventions_by_time ON interventions (user_id, created_at DESC, id DESC, expires_at);
	CREATE INDEX interventions_by_expiry ON interventions (expires_at);

	CREATE TABLE reflections (
		user_id    TEXT    NOT NULL,
		id         TEXT    NOT NULL,
		session_id TEXT    NOT NULL,
		insight    TEXT    NOT NULL,
		summary    TEXT    NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		PRIMARY KEY (user_id, id)
	) STRICT;
	CREATE INDEX reflections_by_time ON reflections (user_id, created_at DESC, id DESC, expires_at);
	CREATE INDEX reflections_by_expiry ON reflections (expires_at);

	-- Profiles and sessions are read and written whole: JSON keeps them
	-- in step with their Go types without a migration per field.
	CREATE TABLE profiles (
		user_id TEXT NOT NULL PRIMARY KEY,
		data    TEXT NOT NULL
	) STRICT;

	CREATE TABLE sessions (
		user_id    TEXT    NOT NULL,
		session_id TEXT    NOT NULL,
		version    INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		data       TEXT    NOT NULL,
		PRIMARY KEY (user_id, session_id)
	) STRICT;
	CREATE INDEX sessions_by_expiry ON sessions (expires_at);`,
}
