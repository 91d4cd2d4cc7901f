package client

import (
	"context"
	"net/url"
	"time"

	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/observe/tracestore"
)

// OpTimeline returns op's calls from since (zero: the server's default of
// 24 hours ago) up to now in buckets equal intervals (0: the server's
// default of 24), oldest first (operators).
func (c *Client) OpTimeline(ctx context.Context, op string, since time.Time, buckets int) ([]tracestore.OpBucket, error) {
	q := url.Values{"op": {op}}
	setTime(q, "since", since)
	setInt(q, "buckets", buckets)
	var out struct {
		Buckets []tracestore.OpBucket `json:"buckets"`
	}
	return out.Buckets, c.call(ctx, "GET", "/api/ops/timeline", q, nil, &out)
}

// CompareEvaluations compares stored run b against stored run a, scorer
// by scorer (operators). A missing run is NotFound.
func (c *Client) CompareEvaluations(ctx context.Context, a, b string) (eval.Comparison, error) {
	q := url.Values{"a": {a}, "b": {b}}
	var out eval.Comparison
	return out, c.call(ctx, "GET", "/api/evaluations/compare", q, nil, &out)
}
