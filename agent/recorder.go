package agent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// RecorderConfig configures a Recorder. Memory and SpoolPath are required;
// zero values of the rest mean the defaults.
type RecorderConfig struct {
	Memory      *memory.Service
	SpoolPath   string        // append-only spool file, e.g. <data>/recorder.spool
	QueueSize   int           // jobs waiting for the workers, default 1024
	Workers     int           // default 2
	Backoff     time.Duration // first retry delay, default 100ms, doubling up to 5s
	MaxAttempts int           // attempts before a job goes to the spool, default 5
	ReplayEvery time.Duration // how often the spool is retried, default 2s
	Logger      *slog.Logger  // default slog.Default(); never given intervention text
	// Now stamps CreatedAt on what Record is given; it must be the memory
	// service's clock, which refuses a creation time in its future.
	// Default time.Now.
	Now func() time.Time
}

const maxRecorderBackoff = 5 * time.Second

func (c RecorderConfig) withDefaults() RecorderConfig {
	if c.QueueSize <= 0 {
		c.QueueSize = 1024
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	c.Backoff = orDuration(c.Backoff, 100*time.Millisecond)
	c.ReplayEvery = orDuration(c.ReplayEvery, 2*time.Second)
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// RecorderStats counts what a Recorder did since it was made.
type RecorderStats struct {
	Queued       int64 // jobs waiting in the queue now
	Recorded     int64 // interventions stored (by a worker or a replay)
	Outcomes     int64 // outcomes stored (by a worker or a replay), or superseded by a later one
	Retries      int64 // store calls tried again after a failure
	Spooled      int64 // jobs ever appended to the spool
	SpoolPending int64 // spool entries waiting to be applied now
	Replayed     int64 // spool entries applied (or found already applied)
	Dropped      int64 // jobs the store refused for good (Invalid, or an outcome of no intervention)
}

// Recorder writes interventions and outcomes into memory in the background,
// so a tool call never waits for the store, and loses none of them when the
// store is slow or down: a job that keeps failing, or that finds the queue
// full, goes to an append-only spool file that is replayed, exactly once,
// when the store is back — or by the next Recorder after a crash.
//
// Jobs of one user are applied in the order they were given (a SetOutcome
// after its Record): each user's jobs go to one worker, and once a user has
// entries in the spool, their later jobs follow them there until replayed.
// Safe for concurrent use.
type Recorder struct {
	mem    *memory.Service
	cfg    RecorderConfig
	log    *slog.Logger
	shards []*recShard
	spool  *spool

	// ctx bounds the store calls; Close cancels it when its own ctx ends,
	// so that what is left goes to the spool at once.
	ctx    context.Context
	cancel context.CancelFunc

	seq        atomic.Uint64 // orders the jobs; kept in the spool
	degraded   atomic.Bool   // the store failed a job for good: spool until a replay succeeds
	closing    atomic.Bool
	workers    sync.WaitGroup
	replayMu   sync.Mutex // one replay pass at a time
	stopReplay chan struct{}
	replayDone chan struct{}
	n          recCounters
}

type recCounters struct {
	queued, recorded, outcomes, retries, spooled, pending, replayed, dropped atomic.Int64
}

// recShard is one worker's queue and what the enqueue path must know about
// its users. Every user hashes to one shard, so its mutex orders them.
type recShard struct {
	// applyMu is held around each store call of the shard's users, by the
	// worker or the replay, so that no two writes of one user race.
	applyMu sync.Mutex

	mu       sync.Mutex
	ch       chan *recJob
	kick     chan struct{} // wakes the worker from a nap (Flush, Close); never sent by Record
	closed   bool
	spooled  map[string]int    // user id → their spool entries not yet applied
	records  map[string]int    // intervention id → Records not yet stored (queued, in flight or spooled)
	outcomes map[string]int    // intervention id → outcomes not yet applied
	applied  map[string]uint64 // intervention id → Seq of the last outcome applied, while others are pending
}

// recJob is one write, in the form the spool keeps it.
type recJob struct {
	Seq     uint64               `json:"seq"`
	Op      string               `json:"op"` // recOpRecord or recOpOutcome
	IV      *memory.Intervention `json:"iv,omitempty"`
	UserID  string               `json:"user_id,omitempty"`
	ID      string               `json:"id,omitempty"`
	Outcome memory.Outcome       `json:"outcome,omitempty"`
	Scores  map[string]float64   `json:"scores,omitempty"`
}

const (
	recOpRecord  = "record"
	recOpOutcome = "outcome"
)

func (j *recJob) user() string {
	if j.Op == recOpRecord {
		return j.IV.UserID
	}
	return j.UserID
}

// target is the intervention the job writes to.
func (j *recJob) target() string {
	if j.Op == recOpRecord {
		return j.IV.ID
	}
	return j.ID
}

// NewRecorder opens (or creates) the spool, starts the workers, and starts
// replaying what a previous Recorder left in the spool; until that is done,
// the jobs of the users it holds go to the spool behind it.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	const op = "agent.NewRecorder"
	if cfg.Memory == nil || cfg.SpoolPath == "" {
		return nil, steady.Errorf(steady.Invalid, op, "RecorderConfig needs Memory and SpoolPath")
	}
	cfg = cfg.withDefaults()
	sp, err := openSpool(cfg.SpoolPath, cfg.Logger)
	if err != nil {
		return nil, steady.Wrap(steady.Unavailable, op, err)
	}
	r := newRecorder(cfg, sp)
	if err := r.loadSpool(); err != nil {
		sp.close()
		return nil, steady.Wrap(steady.Internal, op, err)
	}
	r.start()
	return r, nil
}

func newRecorder(cfg RecorderConfig, sp *spool) *Recorder {
	r := &Recorder{mem: cfg.Memory, cfg: cfg, log: cfg.Logger, spool: sp,
		stopReplay: make(chan struct{}), replayDone: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	per := max(cfg.QueueSize/cfg.Workers, 1)
	for range cfg.Workers {
		r.shards = append(r.shards, &recShard{ch: make(chan *recJob, per), kick: make(chan struct{}, 1), spooled: map[string]int{},
			records: map[string]int{}, outcomes: map[string]int{}, applied: map[string]uint64{}})
	}
	return r
}

// loadSpool counts the entries a previous Recorder left, per user, so that
// their users' new jobs queue up behind them, and continues their Seq. The
// applied head of the spool (kept until it is emptied) says which outcomes
// were applied last, so a stale one left behind is still recognised.
func (r *Recorder) loadSpool() error {
	from, to := r.spool.window()
	head := map[string]uint64{}
	err := r.spool.scan(0, to, func(line []byte, end int64) error {
		j, err := decodeRecJob(line)
		if err != nil {
			return nil // the replay sets it aside
		}
		r.seq.Store(max(r.seq.Load(), j.Seq))
		if end <= from {
			if j.Op == recOpOutcome {
				head[j.ID] = max(head[j.ID], j.Seq)
			}
			return nil
		}
		r.countPending(r.shardOf(j.user()), j)
		r.n.pending.Add(1)
		return nil
	})
	for _, sh := range r.shards {
		for id := range sh.outcomes {
			if seq, ok := head[id]; ok {
				sh.applied[id] = seq
			}
		}
	}
	return err
}

// countPending notes a job given but not yet applied; sh.mu must be held
// (or the Recorder not yet started).
func (r *Recorder) countPending(sh *recShard, j *recJob) {
	if j.Op == recOpRecord {
		sh.records[j.IV.ID]++
	} else {
		sh.outcomes[j.ID]++
	}
}

func (r *Recorder) start() {
	for _, sh := range r.shards {
		r.workers.Add(1)
		go r.work(sh)
	}
	go r.replayLoop()
}

// Record queues iv to be stored and returns its id. It sets iv.ID (a new
// UUIDv7) and iv.CreatedAt (now) when they are empty, so the caller can
// set the outcome later and a retried or replayed write lands on the same
// record. It never waits for the store: when the queue is full, the job is
// appended to the spool instead. The Recorder keeps iv's slices and maps;
// the caller must not change them afterwards.
func (r *Recorder) Record(iv memory.Intervention) string {
	if iv.ID == "" {
		if id, err := uuid.NewV7(); err == nil {
			iv.ID = id.String()
		} else {
			iv.ID = uuid.NewString() // no clock reading: still unique
		}
	}
	if iv.CreatedAt.IsZero() {
		iv.CreatedAt = r.cfg.Now().UTC()
	}
	r.submit(&recJob{Op: recOpRecord, IV: &iv})
	return iv.ID
}

// SetOutcome queues an outcome (and scores to merge) for the intervention
// id of userID, to be applied after every job given before it for that
// user. Like Record, it never waits for the store. The Recorder keeps
// scores; the caller must not change it afterwards.
func (r *Recorder) SetOutcome(userID, id string, outcome memory.Outcome, scores map[string]float64) {
	r.submit(&recJob{Op: recOpOutcome, UserID: userID, ID: id, Outcome: outcome, Scores: scores})
}

// submit queues j, or spools it if its user has spool entries waiting, the
// queue is full, or the Recorder is closed.
func (r *Recorder) submit(j *recJob) {
	sh := r.shardOf(j.user())
	sh.mu.Lock()
	defer sh.mu.Unlock()
	j.Seq = r.seq.Add(1)
	r.countPending(sh, j)
	if !sh.closed && sh.spooled[j.user()] == 0 {
		r.n.queued.Add(1)
		select {
		case sh.ch <- j:
			return
		default:
			r.n.queued.Add(-1)
		}
	}
	r.spoolLocked(sh, j)
}

// shardOf hashes the user id (FNV-1a) to a shard.
func (r *Recorder) shardOf(user string) *recShard {
	h := uint32(2166136261)
	for i := 0; i < len(user); i++ {
		h = (h ^ uint32(user[i])) * 16777619
	}
	return r.shards[h%uint32(len(r.shards))]
}

// spoolLocked appends j to the spool; sh.mu must be held, so the user's
// count and the file agree. Only a spool that cannot be written (closed,
// disk full) loses a job, and that is logged and counted.
func (r *Recorder) spoolLocked(sh *recShard, j *recJob) {
	line, err := json.Marshal(j)
	if err == nil {
		err = r.spool.append(append(line, '\n'))
	}
	if err != nil {
		r.forget(sh, j)
		r.n.dropped.Add(1)
		r.log.Error("recorder: job lost, spool not writable", "op", j.Op, "user_id", j.user(), "id", j.target(), "err", err)
		return
	}
	sh.spooled[j.user()]++
	r.n.spooled.Add(1)
	r.n.pending.Add(1)
}

// forget notes that j is done with (applied or dropped); sh.mu must be
// held. The last applied outcome of an id is kept only while others of it
// are pending.
func (r *Recorder) forget(sh *recShard, j *recJob) {
	if j.Op == recOpRecord {
		decrement(sh.records, j.IV.ID)
	} else if decrement(sh.outcomes, j.ID) {
		delete(sh.applied, j.ID)
	}
}

// decrement lowers m[k], deleting it at zero, and reports whether it did.
func decrement(m map[string]int, k string) bool {
	if m[k] > 1 {
		m[k]--
		return false
	}
	delete(m, k)
	return true
}

// drainSpool replays until the spool is empty, a pass fails or one makes
// no progress: a pass may move an outcome behind its Record, so the next
// one can apply it. What is left stays for the next Recorder.
func (r *Recorder) drainSpool() {
	for r.ctx.Err() == nil && r.spool.holds() {
		before := r.n.replayed.Load()
		if r.replay(r.ctx) != nil || r.n.replayed.Load() == before {
			return
		}
	}
}

// Stats returns the Recorder's counters.
func (r *Recorder) Stats() RecorderStats {
	return RecorderStats{
		Queued: r.n.queued.Load(), Recorded: r.n.recorded.Load(), Outcomes: r.n.outcomes.Load(),
		Retries: r.n.retries.Load(), Spooled: r.n.spooled.Load(), SpoolPending: r.n.pending.Load(),
		Replayed: r.n.replayed.Load(), Dropped: r.n.dropped.Load(),
	}
}

// Close stops accepting jobs (later ones go to the spool while it is open,
// then are lost and counted as Dropped), drains the queue into the store
// or the spool, replays the spool once more and syncs it. If ctx ends
// first, the store calls in flight are abandoned and everything left goes
// to the spool, where the next Recorder finds it; Close then returns ctx's
// error, wrapped.
func (r *Recorder) Close(ctx context.Context) error {
	const op = "agent.Recorder.Close"
	if !r.closing.CompareAndSwap(false, true) {
		return nil
	}
	stop := context.AfterFunc(ctx, r.cancel)
	defer stop()
	for _, sh := range r.shards {
		sh.mu.Lock()
		sh.closed = true
		close(sh.ch)
		sh.mu.Unlock()
		sh.wake()
	}
	r.workers.Wait()
	close(r.stopReplay)
	<-r.replayDone
	r.drainSpool()
	err := r.spool.close()
	r.cancel()
	if ctx.Err() != nil {
		return steady.Wrap(steady.Unavailable, op, errors.Join(ctx.Err(), err))
	}
	return steady.Wrap(steady.Internal, op, err)
}

// Flush waits until every job given so far is in the store — written by a
// worker, or replayed from the spool — or ctx ends (its error, wrapped).
// Jobs given meanwhile are waited for too. For tests and for handing a
// user's memory to a reader that must see the latest outcomes.
func (r *Recorder) Flush(ctx context.Context) error {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for !r.idle() {
		for _, sh := range r.shards {
			sh.wake()
		}
		select {
		case <-ctx.Done():
			return steady.Wrap(steady.Unavailable, "agent.Recorder.Flush", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// idle reports whether no job is queued, in flight or in the spool.
func (r *Recorder) idle() bool {
	for _, sh := range r.shards {
		sh.mu.Lock()
		busy := len(sh.records) > 0 || len(sh.outcomes) > 0
		sh.mu.Unlock()
		if busy {
			return false
		}
	}
	return true
}
