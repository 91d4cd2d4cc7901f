package steadytest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BlockingServer starts a server that reports each request on the returned
// channel and holds it until the client gives up, so a test can cancel a
// request in flight without sleeping.
func BlockingServer(t testing.TB) (*httptest.Server, <-chan struct{}) {
	t.Helper()
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: only then does net/http watch the
		// connection and cancel r.Context() when the client hangs up.
		io.Copy(io.Discard, r.Body)
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	// Registered last, so it runs first: Close waits for the handler.
	t.Cleanup(func() { close(release) })
	return srv, arrived
}
