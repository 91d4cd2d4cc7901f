package tracestore

// migrations[i] brings the schema from version i to i+1; PRAGMA user_version
// holds the version of a file. Append, never edit.
//
// Times are Unix nanoseconds. seq, the rowid, breaks ties between calls that
// started in the same nanosecond, so a cursor (start_ns, seq) resumes a page
// exactly.
//
// Attributes are kept twice: whole, as JSON in calls.attributes, to show a
// call; and, for scalar values up to maxIndexedValue bytes, as rows of
// call_attrs, indexed by (key, value, start_ns, seq), to filter calls by any
// attribute. json_extract over calls.attributes would parse the JSON of
// every row in the window for each query; the side table's index yields the
// calls with one attribute value newest first, so a page of a common value
// stops after Limit entries and a rare value reads only its own entries:
// under 1 ms over 100k calls, against 131 ms for json_extract
// (BenchmarkCallsAttrFilter, BenchmarkAttrFilterJSONExtract). Further attributes are probed by (seq, key).
//
// user.id and session.id are also columns, to show and group calls by
// without parsing JSON; filtering by them goes through call_attrs like any
// attribute, so they have no index of their own to slow every insert.
var migrations = []string{
	// 1: the first schema.
	`CREATE TABLE calls (
		seq        INTEGER PRIMARY KEY,
		call_id    TEXT    NOT NULL UNIQUE,
		trace_id   TEXT    NOT NULL,
		parent_id  TEXT    NOT NULL,  -- '' for a root
		op         TEXT    NOT NULL,
		kind       TEXT    NOT NULL,
		start_ns   INTEGER NOT NULL,
		end_ns     INTEGER NOT NULL,
		latency_ns INTEGER NOT NULL,
		status     TEXT    NOT NULL,  -- 'ok' or 'error'
		error      TEXT    NOT NULL,
		inputs     TEXT    NOT NULL,
		output     TEXT    NOT NULL,
		attributes TEXT    NOT NULL,  -- JSON object
		user_id    TEXT    NOT NULL,
		session_id TEXT    NOT NULL
	) STRICT;
	CREATE INDEX calls_by_start ON calls (start_ns);
	-- Lists an op's calls newest first and covers OpStats, whose scan
	-- reads these small entries rather than rows with inputs and outputs.
	CREATE INDEX calls_by_op ON calls (op, start_ns, seq, latency_ns, status);
	CREATE INDEX calls_by_trace ON calls (trace_id, start_ns);

	CREATE TABLE call_attrs (
		seq   INTEGER NOT NULL REFERENCES calls (seq) ON DELETE CASCADE,
		key   TEXT    NOT NULL,
		value TEXT    NOT NULL,
		start_ns INTEGER NOT NULL,  -- the call's, so the index is in list order
		PRIMARY KEY (seq, key)
	) STRICT, WITHOUT ROWID;
	CREATE INDEX call_attrs_by_value ON call_attrs (key, value, start_ns);

	CREATE TABLE feedback (
		id         TEXT    NOT NULL PRIMARY KEY,
		seq        INTEGER NOT NULL REFERENCES calls (seq) ON DELETE CASCADE,
		reaction   TEXT    NOT NULL,
		note       TEXT    NOT NULL,
		scores     TEXT,              -- JSON object, NULL when none
		created_at INTEGER NOT NULL
	) STRICT;
	CREATE INDEX feedback_by_call ON feedback (seq, created_at);`,

	// 2: stored evaluation runs (runs.go). They have no foreign key to
	// calls: a purge of calls must never take a run with it.
	`CREATE TABLE runs (
		id         TEXT    NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		created_at INTEGER NOT NULL,  -- Unix nanoseconds
		rows       INTEGER NOT NULL,
		summary    TEXT,              -- JSON, NULL when none
		-- body comes last so that ListRuns, which leaves it out, never
		-- reads its overflow pages.
		body       TEXT    NOT NULL   -- JSON: the whole run
	) STRICT;
	CREATE INDEX runs_by_created ON runs (created_at, id);`,
}
