package memory

import (
	"context"
	"time"

	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/observe"
)

// The memory layer's operations are traced as the original traced its Redis
// operations: one call each, labelled with the user, showing what went in
// and a summary of what came out. Vectors are left out of what is captured:
// they say nothing to a person reading a trace.

// traced runs fn as the op name for userID. in is what the trace shows as
// the input; summary turns the result into what it shows as the output.
func traced[T any](ctx context.Context, name, userID string, in any, summary func(T) any, fn func(context.Context) (T, error), opts ...observe.OpOption) (T, error) {
	var res T
	op := observe.Op(name, func(ctx context.Context, _ any) (any, error) {
		var err error
		res, err = fn(ctx)
		if err != nil {
			return nil, err
		}
		return summary(res), nil
	}, opts...)
	if userID != "" {
		ctx = observe.WithAttributes(ctx, map[string]any{"user_id": userID})
	}
	_, err := op(ctx, in)
	return res, err
}

func same[T any](v T) any { return v }

// ivSummary is an intervention as a trace shows it.
type ivSummary struct {
	ID        string             `json:"id"`
	Tool      string             `json:"tool"`
	Outcome   Outcome            `json:"outcome"`
	Scores    map[string]float64 `json:"scores,omitempty"`
	Context   string             `json:"context"`
	ExpiresAt time.Time          `json:"expires_at"`
}

func summarise(iv Intervention) any {
	return ivSummary{iv.ID, iv.Tool, iv.Outcome, iv.Scores, iv.Context, iv.ExpiresAt}
}

type matchSummary struct {
	ID         string  `json:"id"`
	Tool       string  `json:"tool"`
	Outcome    Outcome `json:"outcome"`
	Similarity float64 `json:"similarity"`
	Context    string  `json:"context"`
}

func summariseMatches(ms []Match) any {
	out := make([]matchSummary, len(ms))
	for i, m := range ms {
		out[i] = matchSummary{m.ID, m.Tool, m.Outcome, m.Similarity, m.Context}
	}
	return out
}

// queryInput is a Query as a trace shows it: without the vector.
func queryInput(userID string, q Query) any {
	type in struct {
		UserID        string    `json:"user_id"`
		Text          string    `json:"text,omitempty"`
		K             int       `json:"k"`
		AllOutcomes   bool      `json:"all_outcomes,omitempty"`
		Outcomes      []Outcome `json:"outcomes,omitempty"`
		Tool          string    `json:"tool,omitempty"`
		Category      Category  `json:"category,omitempty"`
		MinScore      float64   `json:"min_score,omitempty"`
		MinSimilarity float64   `json:"min_similarity,omitempty"`
		HasVector     bool      `json:"vector_given,omitempty"`
		Duplicates    bool      `json:"duplicates,omitempty"`
		Light         bool      `json:"light,omitempty"`
	}
	return in{userID, q.Text, q.K, q.AllOutcomes, q.Outcomes, q.Tool, q.Category, q.MinScore, q.MinSimilarity, q.Vector != nil, q.Duplicates, q.Light}
}

func recordInput(iv Intervention) any {
	iv.Embedding = nil
	return iv
}

// embedTraced embeds one text as a traced call, so a trace shows what the
// embedder was asked and how long it took.
func (s *Service) embedTraced(ctx context.Context, text string) ([][]float32, error) {
	return traced(ctx, "embed", "", map[string]any{"texts": []string{text}},
		func([][]float32) any {
			return map[string]any{"embedder": s.embedder.Name(), "dimensions": s.embedder.Dimensions()}
		},
		func(ctx context.Context) ([][]float32, error) { return s.embedder.Embed(ctx, []string{text}) },
		observe.Kind("EMBEDDING"), observe.GenAIOperation("embeddings"))
}

// TracedEmbedder returns e with every Embed call traced as an "embed" op,
// as the service traces its own embedding, for callers that embed outside
// the memory layer (an agent classifying an utterance, the embed command).
// Texts are captured like any op input (capped, redacted); vectors never.
func TracedEmbedder(e embed.Embedder) embed.Embedder { return tracedEmbedder{e} }

type tracedEmbedder struct{ embed.Embedder }

func (t tracedEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return traced(ctx, "embed", "", map[string]any{"texts": texts},
		func([][]float32) any {
			return map[string]any{"embedder": t.Name(), "dimensions": t.Dimensions(), "vectors": len(texts)}
		},
		func(ctx context.Context) ([][]float32, error) { return t.Embedder.Embed(ctx, texts) },
		observe.Kind("EMBEDDING"), observe.GenAIOperation("embeddings"))
}
