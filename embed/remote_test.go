package embed_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/steady-voice/steady/embed"
	"github.com/steady-voice/steady/internal/steadytest"
)

// Helpers shared by the OpenAI and Gemini tests. Both fake servers answer
// each text with remoteVector(text, dims): deterministic, different for
// every text, and deliberately not unit length, so a test can tell that the
// embedder normalised the vectors and put each one on the right text.

func remoteVector(text string, dims int) []float32 {
	h := fnv.New64a()
	h.Write([]byte(text))
	seed := h.Sum64()
	v := make([]float32, dims)
	for i := range v {
		seed = seed*6364136223846793005 + 1442695040888963407
		v[i] = 3 * (float32(seed>>40)/float32(1<<24) - 0.5)
	}
	return v
}

func remoteUnit(text string, dims int) []float32 {
	v := remoteVector(text, dims)
	embed.Normalize(v)
	return v
}

// checkRemoteVectors checks that got holds, in order, the unit version of
// the server's vector for each text.
func checkRemoteVectors(t *testing.T, got [][]float32, texts []string, dims int) {
	t.Helper()
	if len(got) != len(texts) {
		t.Fatalf("got %d vectors, want %d", len(got), len(texts))
	}
	for i, text := range texts {
		want := remoteUnit(text, dims)
		if len(got[i]) != dims {
			t.Fatalf("vector %d: got length %d, want %d", i, len(got[i]), dims)
		}
		if norm := remoteNorm(got[i]); math.Abs(norm-1) > 1e-5 {
			t.Errorf("vector %d: got norm %v, want 1", i, norm)
		}
		if c := embed.Cosine(got[i], want); c < 0.99999 {
			t.Errorf("vector %d (%q): got cosine %v with the server's vector for it, want 1", i, text, c)
		}
	}
}

func remoteNorm(v []float32) float64 {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	return math.Sqrt(ss)
}

func remoteTexts(n int) []string {
	texts := make([]string, n)
	for i := range texts {
		texts[i] = "utterance " + strings.Repeat("x", i)
	}
	return texts
}

// checkRemoteError checks that err is a RemoteError with the given provider,
// base URL and status, and that its text says so and holds no secret.
func checkRemoteError(t *testing.T, err error, provider, baseURL string, status int, secret string) {
	t.Helper()
	var re *embed.RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("got error %v (%T), want a *embed.RemoteError", err, err)
	}
	if re.Provider != provider || re.BaseURL != baseURL || re.StatusCode != status {
		t.Errorf("got provider %q, base URL %q, status %d; want %q, %q, %d",
			re.Provider, re.BaseURL, re.StatusCode, provider, baseURL, status)
	}
	if want := fmt.Sprintf("embed: %s at %s: status %d", provider, baseURL, status); !strings.Contains(err.Error(), want) {
		t.Errorf("got error text %q, want it to contain %q", err.Error(), want)
	}
	checkNoSecret(t, err, secret)
}

func checkNoSecret(t *testing.T, err error, secret string) {
	t.Helper()
	if err != nil && secret != "" && strings.Contains(err.Error(), secret) {
		t.Errorf("error text %q holds the API key", err.Error())
	}
}

func TestRemoteErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  embed.RemoteError
		want string
	}{
		{
			name: "with message",
			err:  embed.RemoteError{Provider: "openai", BaseURL: "http://127.0.0.1:4321/v1", StatusCode: 401, Message: "Incorrect API key provided"},
			want: "embed: openai at http://127.0.0.1:4321/v1: status 401: Incorrect API key provided",
		},
		{
			name: "without message",
			err:  embed.RemoteError{Provider: "gemini", BaseURL: "https://generativelanguage.googleapis.com", StatusCode: 503},
			want: "embed: gemini at https://generativelanguage.googleapis.com: status 503",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// remoteFixture lets one set of tests check the Embedder contract on both
// remote embedders, each against its own fake server.
type remoteFixture struct {
	provider string
	// serve starts the provider's fake server and returns an embedder
	// using it (4 dimensions, 2 texts per request) and a function that
	// lists the texts of each request the server saw.
	serve func(t *testing.T) (embed.Embedder, func() [][]string)
	// connect returns an embedder for the server at serverURL and the base
	// URL its errors should name.
	connect func(t *testing.T, serverURL string) (embed.Embedder, string)
	key     string // the API key, which no error may show
}

var remoteFixtures = []remoteFixture{openAIFixture, geminiFixture}

func TestRemoteRejectsWithoutRequest(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		texts   []string
		wantErr error // nil: an empty result
	}{
		{"empty batch", t.Context(), []string{}, nil},
		{"nil batch", t.Context(), nil, nil},
		{"empty text", t.Context(), []string{"fine", ""}, embed.ErrEmptyText},
		{"white space only", t.Context(), []string{" \t\u00a0\n"}, embed.ErrEmptyText},
		{"too long", t.Context(), []string{strings.Repeat("a", embed.MaxTextBytes+1)}, embed.ErrTextTooLong},
		{"too many", t.Context(), make([]string, embed.MaxBatch+1), embed.ErrBatchTooLarge},
		{"cancelled", cancelled, []string{"fine"}, context.Canceled},
	}
	for _, f := range remoteFixtures {
		for _, tt := range tests {
			t.Run(f.provider+"/"+tt.name, func(t *testing.T) {
				e, seen := f.serve(t)

				got, err := e.Embed(tt.ctx, tt.texts)
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && len(got) != 0) {
					t.Errorf("got %d vectors, error %v; want none, error %v", len(got), err, tt.wantErr)
				}
				if n := len(seen()); n != 0 {
					t.Errorf("server saw %d requests, want 0", n)
				}
			})
		}
	}
}

// TestRemoteSendsValidUTF8 checks that invalid bytes reach the server as
// the contract's U+FFFD. It matters beyond JSON validity: encoding/json
// would also replace them, but one U+FFFD per byte, not per run, so the
// same text would embed differently here and in the local embedder.
func TestRemoteSendsValidUTF8(t *testing.T) {
	texts := []string{"caf\xe9 au lait", "ok \xff\xfe"}
	want := []string{"caf\uFFFD au lait", "ok \uFFFD"}
	for _, f := range remoteFixtures {
		t.Run(f.provider, func(t *testing.T) {
			e, seen := f.serve(t)

			got, err := e.Embed(t.Context(), texts)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			checkRemoteVectors(t, got, want, 4)
			if reqs := seen(); len(reqs) != 1 || !slices.Equal(reqs[0], want) {
				t.Errorf("server saw %q, want one request with %q", reqs, want)
			}
			if texts[0] != "caf\xe9 au lait" {
				t.Errorf("caller's slice changed: got %q", texts[0])
			}
		})
	}
}

func TestRemoteContextCancelledInFlight(t *testing.T) {
	for _, f := range remoteFixtures {
		t.Run(f.provider, func(t *testing.T) {
			srv, arrived := steadytest.BlockingServer(t)
			e, baseURL := f.connect(t, srv.URL)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			cancelWhenArrived(arrived, cancel)

			_, err := e.Embed(ctx, []string{"hello"})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got error %v, want one wrapping context.Canceled", err)
			}
			if want := "embed: " + f.provider + " at " + baseURL + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got error %q, want it to start with %q", err, want)
			}
			checkNoSecret(t, err, f.key)
		})
	}
}

func TestRemoteConcurrentEmbeds(t *testing.T) {
	for _, f := range remoteFixtures {
		t.Run(f.provider, func(t *testing.T) {
			e, _ := f.serve(t)
			var wg sync.WaitGroup
			for n := range 8 {
				wg.Go(func() {
					texts := remoteTexts(5)
					texts[0] = fmt.Sprintf("goroutine %d", n)
					got, err := e.Embed(t.Context(), texts)
					if err != nil {
						t.Errorf("Embed: %v", err)
						return
					}
					checkRemoteVectors(t, got, texts, 4)
				})
			}
			wg.Wait()
		})
	}
}

// cancelWhenArrived cancels ctx once the server has a request in hand.
func cancelWhenArrived(arrived <-chan struct{}, cancel context.CancelFunc) {
	go func() {
		<-arrived
		cancel()
	}()
}
