package memory

import "context"

// Store keeps the memory layer's records. Implementations: redisstore
// (Redis ≥ 7.0, Valkey, Redis Cluster, no modules) and sqlitestore (an
// embedded file, the default). storetest holds the suite every Store must
// pass.
//
// A Store trusts the Service to have validated its input (ids, sizes,
// vectors) but never lets any user id reach another user's records, whatever
// bytes it holds. Every record is scoped by user id: an id of another user's
// record behaves exactly like an unknown id.
//
// A record is live from its creation until its ExpiresAt. Stores remove
// expired records themselves (Redis natively, SQLite by a background purge)
// and never return one, judging expiry by the clock they were given, so
// tests can move time forward.
//
// Errors are *steady.Error: NotFound, Conflict, Invalid (a malformed
// cursor), Unavailable (the backend cannot be reached; the call may be
// retried). No write is ever visible half-done.
//
// Returned slices and maps belong to the caller, except what Candidates
// returns, which is read-only (see there).
type Store interface {
	// PutIntervention stores a new intervention until iv.ExpiresAt.
	// Conflict if the user already has one with iv.ID.
	PutIntervention(ctx context.Context, iv Intervention) error

	// GetInterventions returns the user's live interventions with the given
	// ids, in the order of ids; unknown and expired ids are left out.
	GetInterventions(ctx context.Context, userID string, ids []string) ([]Intervention, error)

	// SetOutcome sets an intervention's outcome and merges scores into its
	// scores (a name given replaces its value), keeping its ExpiresAt, and
	// returns the updated record. NotFound if the user has no live
	// intervention with that id.
	SetOutcome(ctx context.Context, userID, id string, outcome Outcome, scores map[string]float64) (Intervention, error)

	// ListInterventions returns up to limit (≥ 1) of the user's live
	// interventions, newest first (CreatedAt, then ID, descending), after
	// cursor ("" starts at the newest). next is "" on the last page.
	// Invalid if cursor was not returned by this method for this user.
	ListInterventions(ctx context.Context, userID, cursor string, limit int) (page []Intervention, next string, err error)

	// Candidates returns all the user's live interventions in the form
	// search ranks on. This is the hot path of every search: stores serve
	// it from a cache that writes invalidate, without copying. The slice,
	// and each candidate's Vector and Scores, are shared and read-only:
	// the caller must not modify them, and the store never modifies them
	// after returning them (a write builds new ones).
	Candidates(ctx context.Context, userID string) ([]Candidate, error)

	// PutReflection stores a new reflection until r.ExpiresAt. Conflict if
	// the user already has one with r.ID.
	PutReflection(ctx context.Context, r Reflection) error

	// ListReflections returns the user's live reflections, newest first, at
	// most limit of them (limit ≤ 0: all).
	ListReflections(ctx context.Context, userID string, limit int) ([]Reflection, error)

	// GetProfile returns the user's profile; NotFound if there is none.
	GetProfile(ctx context.Context, userID string) (Profile, error)

	// PutProfile creates or replaces the user's profile. Profiles never
	// expire.
	PutProfile(ctx context.Context, p Profile) error

	// GetSession returns the state of one session of the user; NotFound if
	// there is none or it has expired.
	GetSession(ctx context.Context, userID, sessionID string) (SessionState, error)

	// PutSession stores s if the stored state's Version equals s.Version
	// (0 when none is stored or it has expired), with Version incremented,
	// until s.ExpiresAt, and returns what it stored. Conflict otherwise: the
	// caller read a stale state and must read again.
	PutSession(ctx context.Context, s SessionState) (SessionState, error)

	// Forget deletes every record of the user (interventions, reflections,
	// profile, sessions) and reports how many of each it deleted. Nothing
	// of another user is touched.
	Forget(ctx context.Context, userID string) (Forgotten, error)

	// Totals counts live records across all users.
	Totals(ctx context.Context) (Totals, error)

	// Ping checks that the backend answers; Unavailable if not.
	Ping(ctx context.Context) error

	// Close releases the store's resources.
	Close() error
}
