package embed

import (
	"context"
	"errors"
	"fmt"
	"github.com/steady-voice/steady/internal/remote"
	"io"
	"net/http"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

const (
	openAIProvider       = "openai"
	openAIDefaultBaseURL = "https://api.openai.com/v1"
	openAIDefaultModel   = "text-embedding-3-small"
	openAIDefaultBatch   = 256
	// openAIMaxBatch is the API's documented limit of inputs per request.
	openAIMaxBatch       = 2048
	openAIDefaultRetries = 4
	// maxErrorBody bounds how much of an error response is read.
	maxErrorBody = 64 << 10
)

// openAIDims holds the native vector lengths of OpenAI's own models, so
// that the common case starts without a probe request.
var openAIDims = map[string]int{
	"text-embedding-3-small": 1536,
	"text-embedding-3-large": 3072,
	"text-embedding-ada-002": 1536,
}

var _ Embedder = (*OpenAI)(nil)

// OpenAIConfig configures an embedder for any server that speaks the OpenAI
// embeddings API (POST {BaseURL}/embeddings): OpenAI, Ollama, vLLM, TEI,
// LM Studio.
type OpenAIConfig struct {
	// BaseURL is the API root including its version, e.g.
	// "http://localhost:11434/v1" for Ollama. Default
	// "https://api.openai.com/v1".
	BaseURL string
	// APIKey is sent as a bearer token. Local servers usually need none; it
	// is never read from the environment.
	APIKey string
	// Model names the embedding model. Default "text-embedding-3-small".
	Model string
	// Dimensions, when > 0, is sent as the "dimensions" request field to
	// ask for shortened vectors (text-embedding-3 and later; some local
	// servers reject the field). When 0 the model's native length is used:
	// known for OpenAI's models, otherwise learned by NewOpenAI with one
	// probe request.
	Dimensions int
	// BatchSize is the most texts sent in one request; a larger Embed call
	// becomes several requests. Default 256, at most 2048.
	BatchSize int
	// MaxRetries is how often a request that failed with 408, 409, 429, a
	// 5xx status or a broken connection is repeated, with exponential
	// backoff that honours the Retry-After and retry-after-ms headers.
	// Default 4 (0 means the default); at most 20.
	MaxRetries int
	// HTTPClient carries the requests if set (proxies, custom TLS).
	HTTPClient *http.Client
}

// OpenAI embeds texts with an OpenAI-compatible server. It is safe for
// concurrent use.
type OpenAI struct {
	client   openai.Client
	model    string
	dims     int
	sendDims bool
	batch    int
	baseURL  string // for error messages: no credentials in it
	apiKey   string // kept only to scrub it from error text
}

// NewOpenAI returns an embedder for cfg. It makes one request (to learn the
// vector length) only when cfg.Dimensions is 0 and the model is not one of
// OpenAI's own.
func NewOpenAI(ctx context.Context, cfg OpenAIConfig) (*OpenAI, error) {
	cfg = cfg.withDefaults()
	baseURL, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	e := &OpenAI{
		client:   openai.NewClient(cfg.options()...),
		model:    cfg.Model,
		dims:     cfg.Dimensions,
		sendDims: cfg.Dimensions > 0,
		batch:    cfg.BatchSize,
		baseURL:  baseURL,
		apiKey:   cfg.APIKey,
	}
	if e.dims == 0 {
		e.dims = openAIDims[cfg.Model]
	}
	if e.dims == 0 {
		if e.dims, err = e.probe(ctx); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (c OpenAIConfig) withDefaults() OpenAIConfig {
	if c.BaseURL == "" {
		c.BaseURL = openAIDefaultBaseURL
	}
	if c.Model == "" {
		c.Model = openAIDefaultModel
	}
	if c.BatchSize == 0 {
		c.BatchSize = openAIDefaultBatch
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = openAIDefaultRetries
	}
	return c
}

// validate checks c and returns the base URL as shown in errors.
func (c OpenAIConfig) validate() (string, error) {
	if err := validateModel(openAIProvider, c.Model); err != nil {
		return "", err
	}
	if err := validateCommon(openAIProvider, c.Dimensions, c.BatchSize, openAIMaxBatch, c.MaxRetries); err != nil {
		return "", err
	}
	return parseBaseURL(openAIProvider, c.BaseURL)
}

func (c OpenAIConfig) options() []option.RequestOption {
	opts := []option.RequestOption{
		option.WithBaseURL(c.BaseURL),
		// Set even when empty: the SDK would otherwise send OPENAI_API_KEY
		// from the environment to whatever server BaseURL names.
		option.WithAPIKey(c.APIKey),
		option.WithMaxRetries(c.MaxRetries),
	}
	if c.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(c.HTTPClient))
	}
	return opts
}

// Embed implements Embedder.
func (e *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ValidateBatch(ctx, texts); err != nil {
		return nil, err
	}
	clean := sanitizeAll(texts)
	out := make([][]float32, 0, len(texts))
	for _, c := range chunks(len(clean), e.batch) {
		vecs, err := e.embedBatch(ctx, clean[c[0]:c[1]])
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

// Dimensions implements Embedder.
func (e *OpenAI) Dimensions() int { return e.dims }

// Name implements Embedder: "openai/<model>/<dimensions>".
func (e *OpenAI) Name() string { return fmt.Sprintf("openai/%s/%d", e.model, e.dims) }

func (e *OpenAI) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	res, err := e.request(ctx, texts)
	if err != nil {
		return nil, err
	}
	vecs, err := vectorsByIndex(res.Data, len(texts), e.dims)
	if err != nil {
		return nil, remoteFailure(openAIProvider, e.baseURL, e.apiKey, err)
	}
	return vecs, nil
}

func (e *OpenAI) request(ctx context.Context, texts []string) (*openai.CreateEmbeddingResponse, error) {
	params := openai.EmbeddingNewParams{
		Model: e.model,
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts},
		// The Go SDK sends no encoding_format. Float is the API's default,
		// but saying so keeps a server with another default from
		// answering in base64.
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatFloat,
	}
	if e.sendDims {
		params.Dimensions = openai.Int(int64(e.dims))
	}
	var raw *http.Response
	res, err := e.client.Embeddings.New(ctx, params, option.WithResponseInto(&raw))
	if err != nil {
		return nil, e.failure(raw, err)
	}
	return res, nil
}

// failure turns an SDK error into one that names the server. Status and
// message come from the raw response, not from openai.Error: the SDK cannot
// decode Ollama's {"error":"…"} and then returns a bare JSON error that has
// lost the status.
func (e *OpenAI) failure(raw *http.Response, err error) error {
	if raw == nil || raw.StatusCode < http.StatusBadRequest {
		return remoteFailure(openAIProvider, e.baseURL, e.apiKey, err)
	}
	body, _ := io.ReadAll(io.LimitReader(raw.Body, maxErrorBody))
	return newRemoteError(openAIProvider, e.baseURL, raw.StatusCode, remote.ErrorMessage(body), e.apiKey)
}

func (e *OpenAI) probe(ctx context.Context) (int, error) {
	res, err := e.request(ctx, []string{probeText})
	if err == nil && (len(res.Data) != 1 || len(res.Data[0].Embedding) == 0) {
		err = remoteFailure(openAIProvider, e.baseURL, e.apiKey, errors.New("probe answered with no vector"))
	}
	if err != nil {
		return 0, fmt.Errorf("embed: openai: learning the dimensions of %q: %w", e.model, err)
	}
	return len(res.Data[0].Embedding), nil
}

// vectorsByIndex places each returned item at its "index": the API does not
// promise to answer in input order, and a server that drops or repeats an
// item must not shift every later vector onto the wrong text.
func vectorsByIndex(data []openai.Embedding, n, dims int) ([][]float32, error) {
	if len(data) != n {
		return nil, fmt.Errorf("%d embeddings for %d texts", len(data), n)
	}
	out := make([][]float32, n)
	for _, d := range data {
		i := d.Index
		if i < 0 || i >= int64(n) || out[i] != nil {
			return nil, fmt.Errorf("embedding index %d out of range or repeated", i)
		}
		v, err := unitVector(toFloat32(d.Embedding), dims)
		if err != nil {
			return nil, fmt.Errorf("text %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}
