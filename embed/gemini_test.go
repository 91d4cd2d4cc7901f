package embed_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/steady-voice/steady/embed"
)

const testGeminiKey = "AIzaSyTest-0123456789abcdefghijklmnopq"

// geminiServer fakes the Gemini API's batchEmbedContents
// (https://ai.google.dev/api/embeddings#method:-models.batchembedcontents):
// POST /v1beta/models/{model}:batchEmbedContents with the key in the
// x-goog-api-key header, body {"requests":[{"model":"models/…","content":
// {"parts":[{"text":…}]},"taskType":…,"outputDimensionality":…}]}, answer
// {"embeddings":[{"values":[…]}]} in request order. Requests are decoded
// strictly, so a field the SDK did not send, or sent in another shape,
// fails the call.
type geminiServer struct {
	key  string
	dims int // vector length when a request has no outputDimensionality

	// Set before the first request.
	script []geminiReply                                  // error replies sent first, one per call
	edit   func(embs []geminiEmbedding) []geminiEmbedding // spoils a normal answer

	mu    sync.Mutex
	calls []geminiCall
	srv   *httptest.Server
}

type geminiReply struct {
	status int
	body   string
}

type geminiCall struct {
	Model    string // from the URL
	APIKey   string // from x-goog-api-key
	Requests []geminiRequest
}

type geminiRequest struct {
	Model                string        `json:"model"`
	Content              geminiContent `json:"content"`
	TaskType             *string       `json:"taskType"`
	Title                *string       `json:"title"`
	OutputDimensionality *int          `json:"outputDimensionality"`
}

type geminiContent struct {
	Parts []struct {
		Text string `json:"text"`
	} `json:"parts"`
	Role string `json:"role"`
}

type geminiEmbedding struct {
	Values []float32 `json:"values"`
}

var geminiTaskTypes = []string{
	"RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY", "CLASSIFICATION",
	"CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY",
}

func newGeminiServer(t *testing.T, key string, dims int) *geminiServer {
	t.Helper()
	s := &geminiServer{key: key, dims: dims}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *geminiServer) seen() []geminiCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]geminiCall(nil), s.calls...)
}

func (s *geminiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	model, ok := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	model, isBatch := strings.CutSuffix(model, ":batchEmbedContents")
	if r.Method != http.MethodPost || !ok || !isBatch {
		geminiError(w, http.StatusNotFound, "NOT_FOUND", "Method not found: "+r.Method+" "+r.URL.Path)
		return
	}
	call, err := decodeGeminiCall(r, model)
	if err != nil {
		geminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error())
		return
	}
	reply, scripted := s.record(call)
	switch {
	case call.APIKey != s.key:
		// The real API answers 400, not 401. Worst case: it quotes the key.
		geminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "API key not valid: "+call.APIKey+". Please pass a valid API key.")
	case scripted:
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(reply.status)
		io.WriteString(w, reply.body)
	default:
		s.answer(w, call)
	}
}

func decodeGeminiCall(r *http.Request, model string) (geminiCall, error) {
	call := geminiCall{Model: model, APIKey: r.Header.Get("x-goog-api-key")}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return call, err
	}
	if !utf8.Valid(body) {
		return call, errors.New("Invalid JSON payload received. Invalid UTF-8.")
	}
	var payload struct {
		Requests []geminiRequest `json:"requests"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&payload); err != nil {
		return call, fmt.Errorf("Invalid JSON payload received. %v", err)
	}
	call.Requests = payload.Requests
	return call, validateGeminiCall(call)
}

func validateGeminiCall(call geminiCall) error {
	if n := len(call.Requests); n == 0 || n > 100 {
		return fmt.Errorf("* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch, got %d", n)
	}
	for i, req := range call.Requests {
		switch {
		case req.Model != "models/"+call.Model:
			return fmt.Errorf("requests[%d]: model %q does not match the URL's models/%s", i, req.Model, call.Model)
		case len(req.Content.Parts) != 1 || req.Content.Parts[0].Text == "":
			return fmt.Errorf("requests[%d]: want one non-empty text part, got %+v", i, req.Content)
		case req.TaskType != nil && !slices.Contains(geminiTaskTypes, *req.TaskType):
			return fmt.Errorf("requests[%d]: invalid value at 'task_type' (%s)", i, *req.TaskType)
		case req.OutputDimensionality != nil && *req.OutputDimensionality < 1:
			return fmt.Errorf("requests[%d]: outputDimensionality must be positive", i)
		}
	}
	return nil
}

// record stores call and pops the next scripted reply, if any.
func (s *geminiServer) record(call geminiCall) (geminiReply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
	if len(s.script) == 0 {
		return geminiReply{}, false
	}
	reply := s.script[0]
	s.script = s.script[1:]
	return reply, true
}

func (s *geminiServer) answer(w http.ResponseWriter, call geminiCall) {
	embs := make([]geminiEmbedding, len(call.Requests))
	for i, req := range call.Requests {
		dims := s.dims
		if req.OutputDimensionality != nil {
			dims = *req.OutputDimensionality
		}
		embs[i] = geminiEmbedding{Values: remoteVector(req.Content.Parts[0].Text, dims)}
	}
	if s.edit != nil {
		embs = s.edit(embs)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(map[string]any{"embeddings": embs})
}

// geminiError writes a Google API error body.
func geminiError(w http.ResponseWriter, code int, status, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	io.WriteString(w, geminiErrorBody(code, status, msg))
}

func geminiErrorBody(code int, status, msg string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
	return string(b)
}

// geminiFixture runs the shared contract tests in remote_test.go.
var geminiFixture = remoteFixture{
	provider: "gemini",
	serve: func(t *testing.T) (embed.Embedder, func() [][]string) {
		s := newGeminiServer(t, testGeminiKey, 4)
		g := newTestGemini(t, s, embed.GeminiConfig{Dimensions: 4, BatchSize: 2})
		return g, func() [][]string {
			var texts [][]string
			for _, c := range s.seen() {
				texts = append(texts, geminiTexts(c))
			}
			return texts
		}
	},
	connect: func(t *testing.T, serverURL string) (embed.Embedder, string) {
		g, err := embed.NewGemini(t.Context(), embed.GeminiConfig{BaseURL: serverURL, APIKey: testGeminiKey, Dimensions: 4})
		if err != nil {
			t.Fatalf("NewGemini: %v", err)
		}
		return g, serverURL
	},
	key: testGeminiKey,
}

// newTestGemini makes an embedder that talks to s, with the test key
// unless cfg names another, and retries that wait a millisecond.
func newTestGemini(t *testing.T, s *geminiServer, cfg embed.GeminiConfig) *embed.Gemini {
	t.Helper()
	cfg.BaseURL = s.srv.URL
	if cfg.APIKey == "" {
		cfg.APIKey = s.key
	}
	cfg.RetryDelay = time.Millisecond
	g, err := embed.NewGemini(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewGemini: %v", err)
	}
	return g
}

func TestGeminiEmbedSplitsIntoBatches(t *testing.T) {
	tests := []struct {
		name      string
		cfg       embed.GeminiConfig
		wantModel string
		wantTask  string
		wantDims  int
		sendDims  bool
		wantName  string
	}{
		{
			name:      "defaults",
			cfg:       embed.GeminiConfig{BatchSize: 3},
			wantModel: "gemini-embedding-001", wantTask: "SEMANTIC_SIMILARITY", wantDims: 3072,
			wantName: "gemini/gemini-embedding-001/3072",
		},
		{
			name:      "dimensions and task type given",
			cfg:       embed.GeminiConfig{Model: "models/text-embedding-004", Dimensions: 16, TaskType: "RETRIEVAL_DOCUMENT", BatchSize: 3},
			wantModel: "text-embedding-004", wantTask: "RETRIEVAL_DOCUMENT", wantDims: 16, sendDims: true,
			wantName: "gemini/text-embedding-004/16",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newGeminiServer(t, testGeminiKey, tt.wantDims)
			g := newTestGemini(t, s, tt.cfg)
			texts := remoteTexts(7)

			got, err := g.Embed(t.Context(), texts)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			checkRemoteVectors(t, got, texts, tt.wantDims)
			if g.Dimensions() != tt.wantDims || g.Name() != tt.wantName {
				t.Errorf("got Dimensions %d, Name %q; want %d, %q", g.Dimensions(), g.Name(), tt.wantDims, tt.wantName)
			}
			calls := s.seen()
			checkGeminiBatches(t, calls, [][]string{texts[0:3], texts[3:6], texts[6:7]})
			for i, c := range calls {
				checkGeminiCall(t, i, c, tt.wantModel, tt.wantTask, tt.sendDims, tt.wantDims)
			}
		})
	}
}

func checkGeminiBatches(t *testing.T, calls []geminiCall, batches [][]string) {
	t.Helper()
	if len(calls) != len(batches) {
		t.Fatalf("server saw %d calls, want %d", len(calls), len(batches))
	}
	for i, c := range calls {
		if texts := geminiTexts(c); !slices.Equal(texts, batches[i]) {
			t.Errorf("call %d: got texts %q, want %q", i, texts, batches[i])
		}
	}
}

func geminiTexts(c geminiCall) []string {
	var texts []string
	for _, req := range c.Requests {
		texts = append(texts, req.Content.Parts[0].Text)
	}
	return texts
}

func checkGeminiCall(t *testing.T, i int, c geminiCall, model, task string, sendDims bool, dims int) {
	t.Helper()
	if c.Model != model || c.APIKey != testGeminiKey {
		t.Errorf("call %d: got model %q, key %q; want %q, %q", i, c.Model, c.APIKey, model, testGeminiKey)
	}
	for j, req := range c.Requests {
		if req.TaskType == nil || *req.TaskType != task {
			t.Errorf("call %d, request %d: got taskType %v, want %q", i, j, req.TaskType, task)
		}
		switch {
		case !sendDims && req.OutputDimensionality != nil:
			t.Errorf("call %d, request %d: got outputDimensionality %d, want the field absent", i, j, *req.OutputDimensionality)
		case sendDims && (req.OutputDimensionality == nil || *req.OutputDimensionality != dims):
			t.Errorf("call %d, request %d: got outputDimensionality %v, want %d", i, j, req.OutputDimensionality, dims)
		}
	}
}

func TestGeminiDefaultBatchIsTheAPILimit(t *testing.T) {
	s := newGeminiServer(t, testGeminiKey, 8)
	g := newTestGemini(t, s, embed.GeminiConfig{Dimensions: 8})
	texts := remoteTexts(250)

	got, err := g.Embed(t.Context(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	checkRemoteVectors(t, got, texts, 8)
	checkGeminiBatches(t, s.seen(), [][]string{texts[:100], texts[100:200], texts[200:]})
}

func TestGeminiRetries(t *testing.T) {
	busy := geminiReply{http.StatusTooManyRequests, geminiErrorBody(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).")}
	broken := geminiReply{http.StatusInternalServerError, geminiErrorBody(500, "INTERNAL", "An internal error has occurred.")}
	denied := geminiReply{http.StatusForbidden, geminiErrorBody(403, "PERMISSION_DENIED", "Permission denied: Consumer has been suspended.")}
	tests := []struct {
		name         string
		script       []geminiReply
		maxRetries   int
		key          string
		wantAttempts int
		wantStatus   int // 0: success
		wantMessage  string
	}{
		{name: "429 twice then success", script: []geminiReply{busy, busy}, wantAttempts: 3},
		{
			name: "500 until giving up", script: []geminiReply{broken, broken, broken, broken}, maxRetries: 2,
			wantAttempts: 3, wantStatus: 500, wantMessage: "An internal error has occurred.",
		},
		{
			name: "invalid key not retried", key: "AIzaSyWrong-zyxwvutsrqponmlkjihgfedcba",
			wantAttempts: 1, wantStatus: 400, wantMessage: "API key not valid: [redacted]. Please pass a valid API key.",
		},
		{
			name: "403 not retried", script: []geminiReply{denied, denied},
			wantAttempts: 1, wantStatus: 403, wantMessage: "Permission denied: Consumer has been suspended.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newGeminiServer(t, testGeminiKey, 4)
			s.script = tt.script
			g := newTestGemini(t, s, embed.GeminiConfig{Dimensions: 4, MaxRetries: tt.maxRetries, APIKey: tt.key})

			got, err := g.Embed(t.Context(), []string{"hello there"})
			if n := len(s.seen()); n != tt.wantAttempts {
				t.Errorf("server saw %d attempts, want %d", n, tt.wantAttempts)
			}
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("Embed: %v", err)
				}
				checkRemoteVectors(t, got, []string{"hello there"}, 4)
				return
			}
			checkRemoteError(t, err, "gemini", s.srv.URL, tt.wantStatus, tt.key)
			want := fmt.Sprintf("embed: gemini at %s: status %d: %s", s.srv.URL, tt.wantStatus, tt.wantMessage)
			if err.Error() != want {
				t.Errorf("got error %q, want %q", err, want)
			}
		})
	}
}

func TestGeminiRejectsBadAnswers(t *testing.T) {
	tests := []struct {
		name string
		edit func([]geminiEmbedding) []geminiEmbedding
		want string
	}{
		{"wrong length", func(embs []geminiEmbedding) []geminiEmbedding {
			embs[1].Values = embs[1].Values[:3]
			return embs
		}, "text 1: vector of length 3, want 4"},
		{"missing embedding", func(embs []geminiEmbedding) []geminiEmbedding { return embs[:2] }, "2 embeddings for 3 texts"},
		{"extra embedding", func(embs []geminiEmbedding) []geminiEmbedding { return append(embs, embs[0]) }, "4 embeddings for 3 texts"},
		{"zero vector", func(embs []geminiEmbedding) []geminiEmbedding {
			embs[2].Values = []float32{0, 0, 0, 0}
			return embs
		}, "text 2: zero vector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newGeminiServer(t, testGeminiKey, 4)
			s.edit = tt.edit
			g := newTestGemini(t, s, embed.GeminiConfig{Dimensions: 4})

			got, err := g.Embed(t.Context(), remoteTexts(3))
			if err == nil {
				t.Fatalf("got %d vectors and no error, want an error", len(got))
			}
			if want := "embed: gemini at " + s.srv.URL + ": " + tt.want; err.Error() != want {
				t.Errorf("got error %q, want %q", err, want)
			}
		})
	}
}

func TestGeminiDimensions(t *testing.T) {
	tests := []struct {
		name         string
		cfg          embed.GeminiConfig
		wantRequests int
		wantDims     int
		wantName     string
	}{
		{"known model, no probe", embed.GeminiConfig{Model: "text-embedding-004"}, 0, 768, "gemini/text-embedding-004/768"},
		{"unknown model, probed", embed.GeminiConfig{Model: "gemini-embedding-2"}, 1, 6, "gemini/gemini-embedding-2/6"},
		{"unknown model, dimensions given", embed.GeminiConfig{Model: "gemini-embedding-2", Dimensions: 6}, 0, 6, "gemini/gemini-embedding-2/6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newGeminiServer(t, testGeminiKey, 6)
			g := newTestGemini(t, s, tt.cfg)

			calls := s.seen()
			if len(calls) != tt.wantRequests {
				t.Fatalf("NewGemini made %d requests, want %d", len(calls), tt.wantRequests)
			}
			if len(calls) == 1 && (len(calls[0].Requests) != 1 || calls[0].Requests[0].OutputDimensionality != nil) {
				t.Errorf("got probe %+v, want one text, no outputDimensionality", calls[0])
			}
			if g.Dimensions() != tt.wantDims || g.Name() != tt.wantName {
				t.Errorf("got Dimensions %d, Name %q; want %d, %q", g.Dimensions(), g.Name(), tt.wantDims, tt.wantName)
			}
		})
	}
}

func TestGeminiProbeFailure(t *testing.T) {
	s := newGeminiServer(t, testGeminiKey, 6)
	msg := "models/gemini-embedding-9 is not found for API version v1beta, or is not supported for embedContent."
	s.script = []geminiReply{{http.StatusNotFound, geminiErrorBody(404, "NOT_FOUND", msg)}}

	_, err := embed.NewGemini(t.Context(), embed.GeminiConfig{BaseURL: s.srv.URL, APIKey: testGeminiKey, Model: "gemini-embedding-9"})
	checkRemoteError(t, err, "gemini", s.srv.URL, http.StatusNotFound, testGeminiKey)
	if !strings.Contains(err.Error(), `learning the dimensions of "gemini-embedding-9"`) {
		t.Errorf("got error %q, want it to say the probe failed", err)
	}
}

// TestGeminiIgnoresEnvironment: the SDK reads the backend, key and base URL
// from the environment by itself; the config alone must decide.
func TestGeminiIgnoresEnvironment(t *testing.T) {
	t.Setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
	t.Setenv("GOOGLE_API_KEY", "AIzaSyFromEnvironment-000000000000000")
	t.Setenv("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:1/")
	s := newGeminiServer(t, testGeminiKey, 4)
	g := newTestGemini(t, s, embed.GeminiConfig{Dimensions: 4})

	if _, err := g.Embed(t.Context(), []string{"hello"}); err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if calls := s.seen(); len(calls) != 1 || calls[0].APIKey != testGeminiKey {
		t.Errorf("server saw %+v, want one call with the configured key", calls)
	}
}

func TestGeminiConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  embed.GeminiConfig
		want string
	}{
		{"no key", embed.GeminiConfig{APIKey: "-"}, "APIKey is required"},
		{"unknown task type", embed.GeminiConfig{TaskType: "similarity"}, `TaskType "similarity" is not one of RETRIEVAL_QUERY, RETRIEVAL_DOCUMENT, SEMANTIC_SIMILARITY`},
		{"negative dimensions", embed.GeminiConfig{Dimensions: -8}, "negative Dimensions -8"},
		{"negative batch", embed.GeminiConfig{BatchSize: -1}, "negative BatchSize -1"},
		{"batch above limit", embed.GeminiConfig{BatchSize: 101}, "BatchSize 101 above the API's limit of 100"},
		{"negative retries", embed.GeminiConfig{MaxRetries: -3}, "negative MaxRetries -3"},
		{"negative retry delay", embed.GeminiConfig{RetryDelay: -time.Second}, "negative RetryDelay -1s"},
		{"padded model", embed.GeminiConfig{Model: " gemini-embedding-001"}, "padded with white space"},
		{"bad base URL", embed.GeminiConfig{BaseURL: "generativelanguage.googleapis.com"}, "want http:// or https://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.APIKey == "-" {
				tt.cfg.APIKey = ""
			} else {
				tt.cfg.APIKey = testGeminiKey
			}
			g, err := embed.NewGemini(t.Context(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got embedder %v, error %v; want an error containing %q", g, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "embed: gemini") {
				t.Errorf("got error %q, want it to name the provider", err)
			}
			checkNoSecret(t, err, testGeminiKey)
		})
	}
}
