package steady_test

import (
	"net/http"
	"testing"

	"github.com/steady-voice/steady"
)

func TestHTTPStatusRoundTrips(t *testing.T) {
	for _, c := range []steady.Code{steady.NotFound, steady.Invalid, steady.Unauthorized, steady.Forbidden,
		steady.Conflict, steady.RateLimited, steady.Unavailable, steady.Internal} {
		if got := steady.CodeOfStatus(c.HTTPStatus()); got != c {
			t.Errorf("%s → %d → %s", c, c.HTTPStatus(), got)
		}
	}
	if got := steady.CodeOfStatus(http.StatusBadGateway); got != steady.Unavailable {
		t.Errorf("502 → %s, want unavailable (a proxy in front of a server that is down)", got)
	}
}
