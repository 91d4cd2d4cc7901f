package memory_test

import (
	"strings"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

func TestCursorRoundTripAndBinding(t *testing.T) {
	at := time.Date(2026, 11, 26, 12, 0, 0, 123_000_000, time.UTC)
	c := memory.EncodeCursor("alice", at, "0195-id")
	gotAt, gotID, err := memory.DecodeCursor("alice", c)
	if err != nil || !gotAt.Equal(at) || gotID != "0195-id" {
		t.Fatalf("DecodeCursor = %v, %q, %v; want %v, 0195-id", gotAt, gotID, err, at)
	}
	for _, bad := range []struct{ user, cursor string }{
		{"bob", c}, {"Alice", c}, {"alice", ""}, {"alice", "%%%"}, {"alice", "AAAA"}, {"alice", c[:10]},
		{"alice", memory.EncodeCursor("alice", at, strings.Repeat("x", 65))},
	} {
		if _, _, err := memory.DecodeCursor(bad.user, bad.cursor); !steady.Is(err, steady.Invalid) {
			t.Errorf("DecodeCursor(%q, %q) = %v, want invalid", bad.user, bad.cursor, err)
		}
	}
}

// FuzzDecodeCursor: a cursor comes from a client, so any string must give
// either a clear Invalid error or a position that encodes back to itself.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("alice", memory.EncodeCursor("alice", time.Unix(1, 2), "id"))
	f.Add("alice", "AAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, user, cursor string) {
		at, id, err := memory.DecodeCursor(user, cursor)
		if err != nil {
			if !steady.Is(err, steady.Invalid) {
				t.Fatalf("DecodeCursor(%q, %q) = %v, want an invalid error", user, cursor, err)
			}
			return
		}
		if again := memory.EncodeCursor(user, at, id); again != cursor {
			t.Fatalf("cursor %q decodes to (%v, %q), which encodes to %q", cursor, at, id, again)
		}
	})
}
