package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/embed"
)

// Default lifetimes of records.
const (
	DefaultInterventionTTL = 30 * 24 * time.Hour
	DefaultReflectionTTL   = 90 * 24 * time.Hour
	DefaultSessionTTL      = 24 * time.Hour
)

// Config configures a Service. Store and Embedder are required; zero values
// of the rest mean the defaults.
type Config struct {
	Store    Store
	Embedder embed.Embedder
	Now      func() time.Time

	InterventionTTL time.Duration
	ReflectionTTL   time.Duration
	SessionTTL      time.Duration

	Ranking Ranking
	Context ContextOptions
}

// Service is the memory layer's API. It validates input, embeds, ranks and
// formats; the Store keeps the records. Safe for concurrent use.
type Service struct {
	store    Store
	embedder embed.Embedder
	now      func() time.Time
	ivTTL    time.Duration
	reflTTL  time.Duration
	sessTTL  time.Duration
	ranking  Ranking
	context  ContextOptions
}

// New returns a Service over cfg.Store.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Embedder == nil {
		return nil, errors.New("memory: Config needs a Store and an Embedder")
	}
	s := &Service{
		store: cfg.Store, embedder: cfg.Embedder, now: cfg.Now,
		ivTTL:   orDefault(cfg.InterventionTTL, DefaultInterventionTTL),
		reflTTL: orDefault(cfg.ReflectionTTL, DefaultReflectionTTL),
		sessTTL: orDefault(cfg.SessionTTL, DefaultSessionTTL),
		ranking: cfg.Ranking.withDefaults(),
		context: cfg.Context.withDefaults(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.ranking.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Embedder is the embedder the service records and searches with.
func (s *Service) Embedder() embed.Embedder { return s.embedder }

// Record stores a new intervention. The service sets ExpiresAt to
// CreatedAt plus the intervention TTL and, when iv.Embedding is nil, embeds
// iv.Context; Outcome defaults to Pending. A given Embedding must come from
// the service's embedder (iv.Embedder empty or equal to its Name) and have
// its size. It returns the stored intervention.
//
// ID and CreatedAt are set by the service when empty. A caller may choose
// them instead, so that a write it retries or replays later (see
// agent.Recorder) lands on the same record: a given ID must be a UUID, a
// given CreatedAt at most a minute in the future and younger than the TTL
// (else Invalid), rounded to milliseconds like the service's own. Storing
// an ID the user already has is a Conflict, and changes nothing.
func (s *Service) Record(ctx context.Context, iv Intervention) (Intervention, error) {
	return traced(ctx, "memory.record", iv.UserID, recordInput(iv), summarise,
		func(ctx context.Context) (Intervention, error) { return s.record(ctx, iv) })
}

func (s *Service) record(ctx context.Context, iv Intervention) (Intervention, error) {
	const op = "memory.Record"
	if iv.Outcome == "" {
		iv.Outcome = Pending
	}
	now := s.now().UTC().Truncate(timeUnit)
	if err := errors.Join(s.checkIntervention(op, iv), s.checkCreatedAt(op, iv.CreatedAt, now)); err != nil {
		return Intervention{}, err
	}
	vec, err := s.vectorFor(ctx, op, iv.Context, iv.Embedding, iv.Embedder)
	if err != nil {
		return Intervention{}, err
	}
	if iv.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return Intervention{}, steady.Wrap(steady.Internal, op, err)
		}
		iv.ID = id.String()
	}
	if iv.CreatedAt.IsZero() {
		iv.CreatedAt = now
	}
	iv.CreatedAt = iv.CreatedAt.UTC().Truncate(timeUnit)
	iv.ExpiresAt = iv.CreatedAt.Add(s.ivTTL)
	iv.Embedding, iv.Embedder = vec, s.embedder.Name()
	iv.Scores = cloneScores(iv.Scores)
	if err := s.store.PutIntervention(ctx, iv); err != nil {
		return Intervention{}, err
	}
	return iv, nil
}

// maxClockSkew is how far in the future a caller's CreatedAt may be: the
// caller's clock may run a little ahead of the service's, but a record
// from the future would sort above everything stored after it.
const maxClockSkew = time.Minute

// checkCreatedAt refuses a caller's CreatedAt (zero means now) that is too
// far ahead, or so old that the record would already have expired.
func (s *Service) checkCreatedAt(op string, at, now time.Time) error {
	switch {
	case at.IsZero():
		return nil
	case at.After(now.Add(maxClockSkew)):
		return invalid(op, "created_at %s is more than %v in the future", at.UTC().Format(time.RFC3339), maxClockSkew)
	case !at.Add(s.ivTTL).After(now):
		return invalid(op, "created_at %s is older than the intervention TTL %v", at.UTC().Format(time.RFC3339), s.ivTTL)
	}
	return nil
}

func (s *Service) checkIntervention(op string, iv Intervention) error {
	checks := []error{
		checkID(op, "user id", iv.UserID),
		checkID(op, "session id", iv.SessionID),
		checkText(op, "context", iv.Context, MaxContextBytes, true),
		checkText(op, "text", iv.Text, MaxTextBytes, false),
		checkText(op, "task", iv.Task, MaxTaskBytes, false),
		checkText(op, "trace id", iv.TraceID, 64, false),
		checkText(op, "call id", iv.CallID, 64, false),
		checkCategory(op, iv.Category),
		checkOutcome(op, iv.Outcome),
		checkScores(op, iv.Scores),
		checkArgs(op, iv.Args),
	}
	if iv.ID != "" {
		checks = append(checks, checkRecordID(op, iv.ID))
	}
	if !validName(iv.Tool) {
		checks = append(checks, invalid(op, "tool %q: want 1–64 of a-z, 0-9 and _", clip(iv.Tool)))
	}
	return errors.Join(slices.DeleteFunc(checks, func(e error) bool { return e == nil })...)
}

// vectorFor returns a unit copy of given, or embeds text.
func (s *Service) vectorFor(ctx context.Context, op, text string, given []float32, name string) ([]float32, error) {
	if given == nil {
		vecs, err := s.embedTraced(ctx, text)
		if err != nil {
			return nil, embedError(op, err)
		}
		return vecs[0], nil
	}
	if name != "" && name != s.embedder.Name() {
		return nil, invalid(op, "vector made by %q, this memory uses %q", clip(name), s.embedder.Name())
	}
	if err := checkVector(op, given, s.embedder.Dimensions()); err != nil {
		return nil, err
	}
	v := slices.Clone(given)
	embed.Normalize(v)
	return v, nil
}

// embedError classifies an embedder failure: bad text is the caller's
// fault, anything else means the embedder is unavailable.
func embedError(op string, err error) error {
	switch {
	case errors.Is(err, embed.ErrEmptyText), errors.Is(err, embed.ErrTextTooLong), errors.Is(err, embed.ErrBatchTooLarge):
		return steady.Wrap(steady.Invalid, op, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return steady.Wrap(steady.Unavailable, op, err)
}

// SetOutcome records what happened after an intervention and merges scores
// (for example the evaluation layer's "effectiveness") into it. The
// intervention keeps its original expiry.
func (s *Service) SetOutcome(ctx context.Context, userID, id string, outcome Outcome, scores map[string]float64) (Intervention, error) {
	in := map[string]any{"user_id": userID, "id": id, "outcome": outcome, "scores": scores}
	return traced(ctx, "memory.set_outcome", userID, in, summarise,
		func(ctx context.Context) (Intervention, error) { return s.setOutcome(ctx, userID, id, outcome, scores) })
}

func (s *Service) setOutcome(ctx context.Context, userID, id string, outcome Outcome, scores map[string]float64) (Intervention, error) {
	const op = "memory.SetOutcome"
	if err := errors.Join(checkID(op, "user id", userID), checkRecordID(op, id), checkOutcome(op, outcome), checkScores(op, scores)); err != nil {
		return Intervention{}, err
	}
	return s.store.SetOutcome(ctx, userID, id, outcome, cloneScores(scores))
}

func checkRecordID(op, id string) error {
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return invalid(op, "id %q is not a UUID", clip(id))
	}
	return nil
}

// Interventions lists a user's interventions newest first, limit per page
// (1–MaxK; 0 means 20). Pass the returned cursor to get the next page; it
// is "" after the last.
func (s *Service) Interventions(ctx context.Context, userID, cursor string, limit int) ([]Intervention, string, error) {
	const op = "memory.Interventions"
	if limit == 0 {
		limit = 20
	}
	if err := checkID(op, "user id", userID); err != nil {
		return nil, "", err
	}
	if limit < 1 || limit > MaxK {
		return nil, "", invalid(op, "limit %d: want 1–%d", limit, MaxK)
	}
	if cursor != "" {
		if _, _, err := DecodeCursor(userID, cursor); err != nil {
			return nil, "", err
		}
	}
	return s.store.ListInterventions(ctx, userID, cursor, limit)
}

// Intervention returns one of the user's interventions.
func (s *Service) Intervention(ctx context.Context, userID, id string) (Intervention, error) {
	const op = "memory.Intervention"
	if err := errors.Join(checkID(op, "user id", userID), checkRecordID(op, id)); err != nil {
		return Intervention{}, err
	}
	ivs, err := s.store.GetInterventions(ctx, userID, []string{id})
	if err != nil {
		return Intervention{}, err
	}
	if len(ivs) == 0 {
		return Intervention{}, steady.Errorf(steady.NotFound, op, "no intervention %s", id)
	}
	return ivs[0], nil
}

// Forget deletes every record of the user and reports what it deleted.
func (s *Service) Forget(ctx context.Context, userID string) (Forgotten, error) {
	return traced(ctx, "memory.forget", userID, map[string]any{"user_id": userID}, same[Forgotten],
		func(ctx context.Context) (Forgotten, error) {
			if err := checkID("memory.Forget", "user id", userID); err != nil {
				return Forgotten{}, err
			}
			return s.store.Forget(ctx, userID)
		})
}

// Totals counts live records across all users, tallies their live
// interventions by tool and counts the ones made on each of the last
// memory.GrowthDays days, for operators. It reads every live intervention:
// not a call for a user's request path.
func (s *Service) Totals(ctx context.Context) (Totals, error) { return s.store.Totals(ctx) }

// Ping checks that the store answers.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

func cloneScores(m map[string]float64) map[string]float64 {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (s *Service) String() string {
	return fmt.Sprintf("memory.Service(%T, %s)", s.store, s.embedder.Name())
}

// timeUnit is the precision of stored times: every store keeps
// milliseconds, so the service rounds before storing, and what it returns
// equals what a later read returns.
const timeUnit = time.Millisecond
