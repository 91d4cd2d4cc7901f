package embed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"google.golang.org/genai"
)

const (
	geminiProvider       = "gemini"
	geminiDefaultBaseURL = "https://generativelanguage.googleapis.com/"
	geminiDefaultModel   = "gemini-embedding-001"
	geminiDefaultTask    = "SEMANTIC_SIMILARITY"
	// geminiMaxBatch is the API's limit of requests in one
	// batchEmbedContents call.
	geminiMaxBatch          = 100
	geminiDefaultRetries    = 4
	geminiDefaultRetryDelay = time.Second
)

// geminiDims holds the native vector lengths of known models, so that the
// common case starts without a probe request.
var geminiDims = map[string]int{
	"gemini-embedding-001": 3072,
	"text-embedding-004":   768,
}

// geminiTaskTypes are the task types the Gemini API documents for
// embeddings.
var geminiTaskTypes = []string{
	"RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY",
	"CLASSIFICATION", "CLUSTERING", "QUESTION_ANSWERING",
	"FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY",
}

var _ Embedder = (*Gemini)(nil)

// GeminiConfig configures an embedder for the Gemini API (API key, not
// Vertex AI).
type GeminiConfig struct {
	// APIKey is required; it is never read from the environment.
	APIKey string
	// Model names the embedding model, with or without "models/".
	// Default "gemini-embedding-001" (3072 dimensions);
	// "text-embedding-004" has 768.
	Model string
	// Dimensions, when > 0, is sent as outputDimensionality to get shorter
	// vectors. When 0 the model's native length is used: known for the
	// models above, otherwise learned by NewGemini with one probe request.
	Dimensions int
	// TaskType tells the model what the vectors are for; one of
	// RETRIEVAL_QUERY, RETRIEVAL_DOCUMENT, SEMANTIC_SIMILARITY,
	// CLASSIFICATION, CLUSTERING, QUESTION_ANSWERING, FACT_VERIFICATION,
	// CODE_RETRIEVAL_QUERY. Default SEMANTIC_SIMILARITY, because Steady
	// compares an utterance with utterances, not a query with documents.
	TaskType string
	// BaseURL replaces https://generativelanguage.googleapis.com/, for
	// proxies and tests. The API version ("v1beta") is appended by the SDK.
	BaseURL string
	// BatchSize is the most texts sent in one request; a larger Embed call
	// becomes several requests. Default and maximum 100.
	BatchSize int
	// MaxRetries is how often a request that failed with 408, 429, 500,
	// 502, 503, 504 or a broken connection is repeated. Default 4 (0 means
	// the default); at most 20.
	MaxRetries int
	// RetryDelay is the wait before the first retry; it doubles for each
	// further retry (to at most 60s), plus a random jitter of up to
	// RetryDelay. Default 1s. The SDK does not read Retry-After.
	RetryDelay time.Duration
	// HTTPClient carries the requests if set (proxies, custom TLS).
	HTTPClient *http.Client
}

// Gemini embeds texts with the Gemini API. It is safe for concurrent use.
type Gemini struct {
	client  *genai.Client
	model   string // without "models/"
	dims    int
	outDims int // sent as outputDimensionality when > 0
	task    string
	batch   int
	baseURL string // for error messages: no credentials in it
	apiKey  string // kept only to scrub it from error text
}

// NewGemini returns an embedder for cfg. It makes one request (to learn the
// vector length) only when cfg.Dimensions is 0 and the model is unknown.
func NewGemini(ctx context.Context, cfg GeminiConfig) (*Gemini, error) {
	cfg = cfg.withDefaults()
	baseURL, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	client, err := genai.NewClient(ctx, cfg.clientConfig())
	if err != nil {
		return nil, remoteFailure(geminiProvider, baseURL, cfg.APIKey, err)
	}
	g := &Gemini{
		client:  client,
		model:   cfg.Model,
		dims:    cfg.Dimensions,
		outDims: cfg.Dimensions,
		task:    cfg.TaskType,
		batch:   cfg.BatchSize,
		baseURL: baseURL,
		apiKey:  cfg.APIKey,
	}
	if g.dims == 0 {
		g.dims = geminiDims[g.model]
	}
	if g.dims == 0 {
		if g.dims, err = g.probe(ctx); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (c GeminiConfig) withDefaults() GeminiConfig {
	c.Model = strings.TrimPrefix(c.Model, "models/")
	if c.Model == "" {
		c.Model = geminiDefaultModel
	}
	if c.TaskType == "" {
		c.TaskType = geminiDefaultTask
	}
	if c.BaseURL == "" {
		// Set explicitly so that GOOGLE_GEMINI_BASE_URL in the environment
		// cannot send the key somewhere the config did not name.
		c.BaseURL = geminiDefaultBaseURL
	}
	if c.BatchSize == 0 {
		c.BatchSize = geminiMaxBatch
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = geminiDefaultRetries
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = geminiDefaultRetryDelay
	}
	return c
}

// validate checks c and returns the base URL as shown in errors.
func (c GeminiConfig) validate() (string, error) {
	if c.APIKey == "" {
		return "", errors.New("embed: gemini: APIKey is required")
	}
	if err := validateModel(geminiProvider, c.Model); err != nil {
		return "", err
	}
	if !slices.Contains(geminiTaskTypes, c.TaskType) {
		return "", fmt.Errorf("embed: gemini: TaskType %q is not one of %s", c.TaskType, strings.Join(geminiTaskTypes, ", "))
	}
	if c.RetryDelay < 0 {
		return "", fmt.Errorf("embed: gemini: negative RetryDelay %v", c.RetryDelay)
	}
	if err := validateCommon(geminiProvider, c.Dimensions, c.BatchSize, geminiMaxBatch, c.MaxRetries); err != nil {
		return "", err
	}
	return parseBaseURL(geminiProvider, c.BaseURL)
}

func (c GeminiConfig) clientConfig() *genai.ClientConfig {
	delay := c.RetryDelay.Seconds()
	return &genai.ClientConfig{
		APIKey:     c.APIKey,
		Backend:    genai.BackendGeminiAPI,
		HTTPClient: c.HTTPClient,
		HTTPOptions: genai.HTTPOptions{
			BaseURL: c.BaseURL,
			// Without RetryOptions the SDK makes a single attempt.
			RetryOptions: &genai.HTTPRetryOptions{
				Attempts:     genai.Ptr(int32(c.MaxRetries + 1)),
				InitialDelay: &delay,
				Jitter:       &delay,
			},
		},
	}
}

// Embed implements Embedder.
func (g *Gemini) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ValidateBatch(ctx, texts); err != nil {
		return nil, err
	}
	clean := sanitizeAll(texts)
	out := make([][]float32, 0, len(texts))
	for _, c := range chunks(len(clean), g.batch) {
		vecs, err := g.embedBatch(ctx, clean[c[0]:c[1]])
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

// Dimensions implements Embedder.
func (g *Gemini) Dimensions() int { return g.dims }

// Name implements Embedder: "gemini/<model>/<dimensions>".
func (g *Gemini) Name() string { return fmt.Sprintf("gemini/%s/%d", g.model, g.dims) }

func (g *Gemini) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	res, err := g.request(ctx, texts)
	if err != nil {
		return nil, err
	}
	vecs, err := inOrder(res.Embeddings, len(texts), g.dims)
	if err != nil {
		return nil, remoteFailure(geminiProvider, g.baseURL, g.apiKey, err)
	}
	return vecs, nil
}

// request makes one batchEmbedContents call. The SDK sends every content as
// its own request in the batch, each repeating model, task type and
// outputDimensionality.
func (g *Gemini) request(ctx context.Context, texts []string) (*genai.EmbedContentResponse, error) {
	contents := make([]*genai.Content, len(texts))
	for i, t := range texts {
		contents[i] = genai.NewContentFromText(t, genai.RoleUser)
	}
	// A fresh config on every call: the SDK writes into a config's
	// HTTPOptions, so a shared one would race between concurrent calls.
	cfg := &genai.EmbedContentConfig{TaskType: g.task}
	if g.outDims > 0 {
		cfg.OutputDimensionality = genai.Ptr(int32(g.outDims))
	}
	res, err := g.client.Models.EmbedContent(ctx, g.model, contents, cfg)
	if err != nil {
		return nil, g.failure(err)
	}
	return res, nil
}

// failure turns an SDK error into one that names the server. The SDK's own
// message would carry the error details but not say which server failed.
func (g *Gemini) failure(err error) error {
	var apiErr genai.APIError
	if errors.As(err, &apiErr) {
		return newRemoteError(geminiProvider, g.baseURL, apiErr.Code, apiErr.Message, g.apiKey)
	}
	return remoteFailure(geminiProvider, g.baseURL, g.apiKey, err)
}

func (g *Gemini) probe(ctx context.Context) (int, error) {
	res, err := g.request(ctx, []string{probeText})
	if err == nil && (len(res.Embeddings) != 1 || res.Embeddings[0] == nil || len(res.Embeddings[0].Values) == 0) {
		err = remoteFailure(geminiProvider, g.baseURL, g.apiKey, errors.New("probe answered with no vector"))
	}
	if err != nil {
		return 0, fmt.Errorf("embed: gemini: learning the dimensions of %q: %w", g.model, err)
	}
	return len(res.Embeddings[0].Values), nil
}

// inOrder checks the answer to one batch: Gemini returns the embeddings in
// request order, without indices, so only their count can be checked.
func inOrder(embs []*genai.ContentEmbedding, n, dims int) ([][]float32, error) {
	if len(embs) != n {
		return nil, fmt.Errorf("%d embeddings for %d texts", len(embs), n)
	}
	out := make([][]float32, n)
	for i, e := range embs {
		if e == nil {
			return nil, fmt.Errorf("text %d: no embedding", i)
		}
		v, err := unitVector(e.Values, dims)
		if err != nil {
			return nil, fmt.Errorf("text %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}
