package embed_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/steady-voice/steady/embed"
)

const testOpenAIKey = "sk-test-4f9c2a7e1b3d5f60"

// openAIServer fakes POST /v1/embeddings in the wire format OpenAI
// documents (https://platform.openai.com/docs/api-reference/embeddings).
// It decodes requests strictly, so a field the SDK did not send, or sent in
// another shape, fails the request.
type openAIServer struct {
	key  string // bearer key it accepts; "" wants no Authorization header
	dims int    // vector length when the request has no "dimensions"

	// Set before the first request.
	reverse bool                                  // answer items in reverse order
	script  []openAIReply                         // error replies sent first, one per request
	edit    func(items []openAIItem) []openAIItem // spoils a normal answer

	mu       sync.Mutex
	requests []openAIRequest
	srv      *httptest.Server
}

type openAIReply struct {
	status int
	body   string
}

// openAIRequest is the documented request body, plus the auth header seen.
type openAIRequest struct {
	Input          []string `json:"input"`
	Model          string   `json:"model"`
	Dimensions     *int     `json:"dimensions"`
	EncodingFormat *string  `json:"encoding_format"`
	User           *string  `json:"user"`
	Authorization  string   `json:"-"`
}

type openAIItem struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"` // []float32, or base64 of float32s
}

func newOpenAIServer(t *testing.T, key string, dims int) *openAIServer {
	t.Helper()
	s := &openAIServer{key: key, dims: dims}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *openAIServer) url() string { return s.srv.URL + "/v1" }

func (s *openAIServer) seen() []openAIRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]openAIRequest(nil), s.requests...)
}

func (s *openAIServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		openAIError(w, http.StatusNotFound, "Invalid URL ("+r.Method+" "+r.URL.Path+")")
		return
	}
	req, err := decodeOpenAIRequest(r)
	if err != nil {
		openAIError(w, http.StatusBadRequest, err.Error())
		return
	}
	reply, scripted := s.record(req)
	switch {
	case req.Authorization != bearer(s.key):
		// Worst case: the server quotes the key it rejected, in full.
		openAIError(w, http.StatusUnauthorized, "Incorrect API key provided: "+strings.TrimPrefix(req.Authorization, "Bearer ")+".")
	case scripted:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("retry-after-ms", "1")
		w.WriteHeader(reply.status)
		io.WriteString(w, reply.body)
	default:
		s.answer(w, req)
	}
}

func decodeOpenAIRequest(r *http.Request) (openAIRequest, error) {
	var req openAIRequest
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return req, err
	}
	if !utf8.Valid(body) {
		return req, errors.New("We could not parse the JSON body of your request: invalid UTF-8")
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return req, fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("We could not parse the JSON body of your request: %v", err)
	}
	req.Authorization = r.Header.Get("Authorization")
	return req, validateOpenAIRequest(req)
}

func validateOpenAIRequest(req openAIRequest) error {
	switch {
	case req.Model == "":
		return errors.New("you must provide a model parameter")
	case len(req.Input) == 0 || len(req.Input) > 2048:
		return fmt.Errorf("'input' must have 1 to 2048 items, got %d", len(req.Input))
	case req.EncodingFormat != nil && *req.EncodingFormat != "float" && *req.EncodingFormat != "base64":
		return fmt.Errorf("'encoding_format' %q is not one of ['float', 'base64']", *req.EncodingFormat)
	case req.Dimensions != nil && *req.Dimensions < 1:
		return errors.New("'dimensions' must be at least 1")
	}
	for i, text := range req.Input {
		if text == "" {
			return fmt.Errorf("'input[%d]' is empty", i)
		}
	}
	return nil
}

func bearer(key string) string {
	if key == "" {
		return ""
	}
	return "Bearer " + key
}

// record stores req and pops the next scripted reply, if any.
func (s *openAIServer) record(req openAIRequest) (openAIReply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
	if len(s.script) == 0 {
		return openAIReply{}, false
	}
	reply := s.script[0]
	s.script = s.script[1:]
	return reply, true
}

func (s *openAIServer) answer(w http.ResponseWriter, req openAIRequest) {
	dims := s.dims
	if req.Dimensions != nil {
		dims = *req.Dimensions
	}
	items := make([]openAIItem, len(req.Input))
	for i, text := range req.Input {
		items[i] = openAIItem{Object: "embedding", Index: i, Embedding: encodeOpenAIVector(remoteVector(text, dims), req.EncodingFormat)}
	}
	if s.reverse {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	if s.edit != nil {
		items = s.edit(items)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"object": "list",
		"data":   items,
		"model":  req.Model,
		"usage":  map[string]int{"prompt_tokens": len(req.Input), "total_tokens": len(req.Input)},
	})
}

// encodeOpenAIVector answers in the encoding asked for, as the API does:
// floats by default, little-endian float32 bytes in base64 on request.
func encodeOpenAIVector(v []float32, format *string) any {
	if format == nil || *format == "float" {
		return v
	}
	buf := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(buf)
}

func openAIError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("retry-after-ms", "1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": msg, "type": "invalid_request_error", "param": nil, "code": nil,
	}})
}

// openAIFixture runs the shared contract tests in remote_test.go.
var openAIFixture = remoteFixture{
	provider: "openai",
	serve: func(t *testing.T) (embed.Embedder, func() [][]string) {
		s := newOpenAIServer(t, testOpenAIKey, 4)
		e := newTestOpenAI(t, s, embed.OpenAIConfig{Dimensions: 4, BatchSize: 2})
		return e, func() [][]string {
			var texts [][]string
			for _, req := range s.seen() {
				texts = append(texts, req.Input)
			}
			return texts
		}
	},
	connect: func(t *testing.T, serverURL string) (embed.Embedder, string) {
		e, err := embed.NewOpenAI(t.Context(), embed.OpenAIConfig{BaseURL: serverURL + "/v1", APIKey: testOpenAIKey, Dimensions: 4})
		if err != nil {
			t.Fatalf("NewOpenAI: %v", err)
		}
		return e, serverURL + "/v1"
	},
	key: testOpenAIKey,
}

// newTestOpenAI makes an embedder that talks to s, with the test key unless
// cfg names another.
func newTestOpenAI(t *testing.T, s *openAIServer, cfg embed.OpenAIConfig) *embed.OpenAI {
	t.Helper()
	cfg.BaseURL = s.url()
	if cfg.APIKey == "" {
		cfg.APIKey = s.key
	}
	e, err := embed.NewOpenAI(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	return e
}

func TestOpenAIEmbedSplitsIntoBatches(t *testing.T) {
	tests := []struct {
		name     string
		cfg      embed.OpenAIConfig
		wantDims int
		sendDims bool
		wantName string
	}{
		{
			name:     "default model, native dimensions",
			cfg:      embed.OpenAIConfig{BatchSize: 3},
			wantDims: 1536,
			wantName: "openai/text-embedding-3-small/1536",
		},
		{
			name:     "dimensions asked for",
			cfg:      embed.OpenAIConfig{Model: "text-embedding-3-large", Dimensions: 8, BatchSize: 3},
			wantDims: 8,
			sendDims: true,
			wantName: "openai/text-embedding-3-large/8",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newOpenAIServer(t, testOpenAIKey, tt.wantDims)
			e := newTestOpenAI(t, s, tt.cfg)
			texts := remoteTexts(7)

			got, err := e.Embed(t.Context(), texts)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			checkRemoteVectors(t, got, texts, tt.wantDims)
			if e.Dimensions() != tt.wantDims || e.Name() != tt.wantName {
				t.Errorf("got Dimensions %d, Name %q; want %d, %q", e.Dimensions(), e.Name(), tt.wantDims, tt.wantName)
			}
			checkOpenAIBatches(t, s.seen(), [][]string{texts[0:3], texts[3:6], texts[6:7]}, tt.sendDims, tt.wantDims)
		})
	}
}

func checkOpenAIBatches(t *testing.T, reqs []openAIRequest, batches [][]string, sendDims bool, dims int) {
	t.Helper()
	if len(reqs) != len(batches) {
		t.Fatalf("server saw %d requests, want %d", len(reqs), len(batches))
	}
	for i, req := range reqs {
		if fmt.Sprint(req.Input) != fmt.Sprint(batches[i]) {
			t.Errorf("request %d: got input %q, want %q", i, req.Input, batches[i])
		}
		if req.EncodingFormat == nil || *req.EncodingFormat != "float" {
			t.Errorf("request %d: got encoding_format %v, want \"float\"", i, req.EncodingFormat)
		}
		if req.Authorization != bearer(testOpenAIKey) {
			t.Errorf("request %d: got Authorization %q, want %q", i, req.Authorization, bearer(testOpenAIKey))
		}
		switch {
		case !sendDims && req.Dimensions != nil:
			t.Errorf("request %d: got dimensions %d, want the field absent", i, *req.Dimensions)
		case sendDims && (req.Dimensions == nil || *req.Dimensions != dims):
			t.Errorf("request %d: got dimensions %v, want %d", i, req.Dimensions, dims)
		}
	}
}

func TestOpenAIMatchesItemsByIndex(t *testing.T) {
	s := newOpenAIServer(t, testOpenAIKey, 4)
	s.reverse = true
	e := newTestOpenAI(t, s, embed.OpenAIConfig{Dimensions: 4})
	texts := remoteTexts(5)

	got, err := e.Embed(t.Context(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	checkRemoteVectors(t, got, texts, 4)
}

func TestOpenAIRetries(t *testing.T) {
	busy := openAIReply{http.StatusTooManyRequests, `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`}
	broken := openAIReply{http.StatusInternalServerError, `{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`}
	tests := []struct {
		name         string
		script       []openAIReply
		maxRetries   int
		key          string
		wantAttempts int
		wantStatus   int // 0: success
		wantMessage  string
	}{
		{name: "429 twice then success", script: []openAIReply{busy, busy}, wantAttempts: 3},
		{
			name: "500 until giving up", script: []openAIReply{broken, broken, broken, broken}, maxRetries: 2,
			wantAttempts: 3, wantStatus: 500, wantMessage: "The server had an error while processing your request.",
		},
		{
			name: "401 not retried", key: "sk-wrong-9d8c7b6a5f4e3d2c",
			wantAttempts: 1, wantStatus: 401, wantMessage: "Incorrect API key provided: [redacted].",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newOpenAIServer(t, testOpenAIKey, 4)
			s.script = tt.script
			e := newTestOpenAI(t, s, embed.OpenAIConfig{Dimensions: 4, MaxRetries: tt.maxRetries, APIKey: tt.key})

			got, err := e.Embed(t.Context(), []string{"hello there"})
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
			checkRemoteError(t, err, "openai", s.url(), tt.wantStatus, tt.key)
			want := fmt.Sprintf("embed: openai at %s: status %d: %s", s.url(), tt.wantStatus, tt.wantMessage)
			if err.Error() != want {
				t.Errorf("got error %q, want %q", err, want)
			}
		})
	}
}

// TestOpenAIErrorBodies covers the error shapes of the servers the
// embedder is meant for; the SDK itself only understands OpenAI's.
func TestOpenAIErrorBodies(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string // after "status N"
	}{
		{"openai", 404, `{"error":{"message":"The model 'x' does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}`, ": The model 'x' does not exist"},
		{"ollama", 404, `{"error":"model \"x\" not found, try pulling it first"}`, `: model "x" not found, try pulling it first`},
		{"vllm", 400, `{"object":"error","message":"The model 'x' does not exist.","type":"NotFoundError","param":null,"code":404}`, ": The model 'x' does not exist."},
		{"plain text", 502, "<html>\n<body>Bad   Gateway</body>\n</html>\n", ": <html> <body>Bad Gateway</body> </html>"},
		{"long text", 400, strings.Repeat("é", 400), ": " + strings.Repeat("é", 150) + "…"},
		{"empty", 403, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newOpenAIServer(t, testOpenAIKey, 4)
			// 502 is retried; script it for every attempt.
			s.script = []openAIReply{{tt.status, tt.body}, {tt.status, tt.body}}
			e := newTestOpenAI(t, s, embed.OpenAIConfig{Dimensions: 4, MaxRetries: 1})

			_, err := e.Embed(t.Context(), []string{"hi"})
			checkRemoteError(t, err, "openai", s.url(), tt.status, testOpenAIKey)
			if want := fmt.Sprintf("embed: openai at %s: status %d%s", s.url(), tt.status, tt.want); err.Error() != want {
				t.Errorf("got error %q, want %q", err, want)
			}
		})
	}
}

func TestOpenAIRejectsBadAnswers(t *testing.T) {
	tests := []struct {
		name string
		edit func([]openAIItem) []openAIItem
		want string
	}{
		{"wrong length", func(items []openAIItem) []openAIItem {
			items[1].Embedding = []float32{1, 2, 3}
			return items
		}, "text 1: vector of length 3, want 4"},
		{"missing item", func(items []openAIItem) []openAIItem { return items[:2] }, "2 embeddings for 3 texts"},
		{"repeated index", func(items []openAIItem) []openAIItem {
			items[2].Index = 0
			return items
		}, "embedding index 0 out of range or repeated"},
		{"index out of range", func(items []openAIItem) []openAIItem {
			items[2].Index = 3
			return items
		}, "embedding index 3 out of range or repeated"},
		{"zero vector", func(items []openAIItem) []openAIItem {
			items[0].Embedding = []float32{0, 0, 0, 0}
			return items
		}, "text 0: zero vector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newOpenAIServer(t, testOpenAIKey, 4)
			s.edit = tt.edit
			e := newTestOpenAI(t, s, embed.OpenAIConfig{Dimensions: 4})

			got, err := e.Embed(t.Context(), remoteTexts(3))
			if err == nil {
				t.Fatalf("got %d vectors and no error, want an error", len(got))
			}
			if want := "embed: openai at " + s.url() + ": " + tt.want; err.Error() != want {
				t.Errorf("got error %q, want %q", err, want)
			}
		})
	}
}

func TestOpenAIDimensions(t *testing.T) {
	tests := []struct {
		name         string
		cfg          embed.OpenAIConfig
		wantRequests int
		wantDims     int
		wantName     string
	}{
		{"known model, no probe", embed.OpenAIConfig{Model: "text-embedding-ada-002"}, 0, 1536, "openai/text-embedding-ada-002/1536"},
		{"unknown model, probed", embed.OpenAIConfig{Model: "nomic-embed-text"}, 1, 5, "openai/nomic-embed-text/5"},
		{"unknown model, dimensions given", embed.OpenAIConfig{Model: "nomic-embed-text", Dimensions: 5}, 0, 5, "openai/nomic-embed-text/5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newOpenAIServer(t, testOpenAIKey, 5)
			e := newTestOpenAI(t, s, tt.cfg)

			reqs := s.seen()
			if len(reqs) != tt.wantRequests {
				t.Fatalf("NewOpenAI made %d requests, want %d", len(reqs), tt.wantRequests)
			}
			if len(reqs) == 1 && (len(reqs[0].Input) != 1 || reqs[0].Dimensions != nil || reqs[0].Model != tt.cfg.Model) {
				t.Errorf("got probe %+v, want one text, model %q, no dimensions", reqs[0], tt.cfg.Model)
			}
			if e.Dimensions() != tt.wantDims || e.Name() != tt.wantName {
				t.Errorf("got Dimensions %d, Name %q; want %d, %q", e.Dimensions(), e.Name(), tt.wantDims, tt.wantName)
			}
		})
	}
}

func TestOpenAIProbeFailure(t *testing.T) {
	s := newOpenAIServer(t, testOpenAIKey, 5)
	s.script = []openAIReply{{http.StatusNotFound, `{"error":"model \"nomic-embed-text\" not found, try pulling it first"}`}}

	_, err := embed.NewOpenAI(t.Context(), embed.OpenAIConfig{BaseURL: s.url(), APIKey: testOpenAIKey, Model: "nomic-embed-text"})
	checkRemoteError(t, err, "openai", s.url(), http.StatusNotFound, testOpenAIKey)
	if !strings.Contains(err.Error(), `learning the dimensions of "nomic-embed-text"`) {
		t.Errorf("got error %q, want it to say the probe failed", err)
	}
}

// TestOpenAIIgnoresEnvironment: the SDK reads OPENAI_API_KEY and
// OPENAI_BASE_URL by itself; a key meant for OpenAI must not be sent to the
// local server the config names.
func TestOpenAIIgnoresEnvironment(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-from-environment-1234")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	s := newOpenAIServer(t, "", 4)
	e := newTestOpenAI(t, s, embed.OpenAIConfig{Model: "nomic-embed-text"})

	if _, err := e.Embed(t.Context(), []string{"hello"}); err != nil {
		t.Fatalf("Embed: %v", err)
	}
	for i, req := range s.seen() {
		if req.Authorization != "" {
			t.Errorf("request %d: got Authorization %q, want none", i, req.Authorization)
		}
	}
}

func TestOpenAIConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  embed.OpenAIConfig
		want string
	}{
		{"negative dimensions", embed.OpenAIConfig{Dimensions: -1}, "negative Dimensions -1"},
		{"negative batch", embed.OpenAIConfig{BatchSize: -2}, "negative BatchSize -2"},
		{"batch above limit", embed.OpenAIConfig{BatchSize: 2049}, "BatchSize 2049 above the API's limit of 2048"},
		{"negative retries", embed.OpenAIConfig{MaxRetries: -1}, "negative MaxRetries -1"},
		{"too many retries", embed.OpenAIConfig{MaxRetries: 21}, "MaxRetries 21 above 20"},
		{"blank model", embed.OpenAIConfig{Model: "  "}, `Model "  " is blank`},
		{"padded model", embed.OpenAIConfig{Model: "nomic-embed-text\n"}, "padded with white space"},
		{"no scheme", embed.OpenAIConfig{BaseURL: "localhost:11434/v1"}, "want http:// or https://"},
		{"other scheme", embed.OpenAIConfig{BaseURL: "ftp://example.com/v1"}, "want http:// or https://"},
		{"bad URL", embed.OpenAIConfig{BaseURL: "http://[::1"}, "embed: openai base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.APIKey = testOpenAIKey
			e, err := embed.NewOpenAI(t.Context(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got embedder %v, error %v; want an error containing %q", e, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "embed: openai") {
				t.Errorf("got error %q, want it to name the provider", err)
			}
			checkNoSecret(t, err, testOpenAIKey)
		})
	}
}
