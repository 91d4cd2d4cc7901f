package tracestore

import (
	"context"
	"fmt"
	"time"

	"github.com/steady-voice/steady"
)

// Timeline bucket counts: OpTimeline takes 0 as DefaultBuckets.
const (
	DefaultBuckets = 24
	MinBuckets     = 2
	MaxBuckets     = 200
)

// OpBucket sums up the calls of one op that started in one interval of a
// timeline.
type OpBucket struct {
	Start     time.Time     `json:"start"`
	Count     int           `json:"count"`
	Errors    int           `json:"errors"`
	ErrorRate float64       `json:"error_rate"` // Errors / Count; 0 when empty
	P50       time.Duration `json:"p50_ns"`
	P95       time.Duration `json:"p95_ns"`
	P99       time.Duration `json:"p99_ns"`
}

// OpTimeline splits [since, until) into buckets equal intervals and
// returns, for each, the count, errors and exact latency percentiles of
// op's calls that started in it, oldest first. Every interval has its
// bucket; an interval without calls has Count 0. When the window does not
// divide evenly, each interval is rounded up to the next nanosecond, so the
// last may reach past until (it holds no call from there).
//
// buckets 0 means DefaultBuckets. An empty op, a bucket count outside
// MinBuckets…MaxBuckets, or a window shorter than one nanosecond a bucket
// is Invalid.
//
// Like OpStats, SQLite groups the latencies of each interval into one
// list and Go sorts it; unlike OpStats, the scan is a range of the index
// calls_by_op: one op, from since to until.
func (s *Store) OpTimeline(ctx context.Context, op string, since, until time.Time, buckets int) ([]OpBucket, error) {
	const name = "tracestore.OpTimeline"
	if buckets == 0 {
		buckets = DefaultBuckets
	}
	if err := checkTimeline(op, since, until, buckets); err != nil {
		return nil, steady.Errorf(steady.Invalid, name, "%w", err)
	}
	var out []OpBucket
	err := s.guard(ctx, name, func() error {
		var err error
		out, err = s.opTimeline(ctx, op, since, until, buckets)
		return err
	})
	return out, err
}

func checkTimeline(op string, since, until time.Time, buckets int) error {
	switch {
	case op == "":
		return fmt.Errorf("no op")
	case buckets < MinBuckets || buckets > MaxBuckets:
		return fmt.Errorf("%d buckets, want %d to %d", buckets, MinBuckets, MaxBuckets)
	case until.Sub(since) < time.Duration(buckets):
		return fmt.Errorf("window %s to %s is too short for %d buckets", since.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano), buckets)
	}
	return nil
}

func (s *Store) opTimeline(ctx context.Context, op string, since, until time.Time, n int) ([]OpBucket, error) {
	from := since.UnixNano()
	span := until.UnixNano() - from
	width := (span + int64(n) - 1) / int64(n)
	out := make([]OpBucket, n)
	for i := range out {
		out[i].Start = time.Unix(0, from+int64(i)*width).UTC()
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT (start_ns - ?) / ?, sum(status = 'error'), group_concat(latency_ns)
		FROM calls INDEXED BY calls_by_op WHERE op = ? AND start_ns >= ? AND start_ns < ?
		GROUP BY 1`, from, width, op, from, until.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var latencies []int64
	for rows.Next() {
		var i int64
		var st OpStat
		var list string
		if err := rows.Scan(&i, &st.Errors, &list); err != nil {
			return nil, err
		}
		if i < 0 || i >= int64(n) {
			return nil, fmt.Errorf("bucket %d of %d", i, n)
		}
		if latencies, err = parseList(latencies[:0], list); err != nil {
			return nil, fmt.Errorf("op %s, bucket %d: %w", op, i, err)
		}
		st = summarize(st, latencies)
		out[i] = OpBucket{Start: out[i].Start, Count: st.Count, Errors: st.Errors,
			ErrorRate: st.ErrorRate, P50: st.P50, P95: st.P95, P99: st.P99}
	}
	return out, rows.Err()
}
