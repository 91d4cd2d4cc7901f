package account_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/server/account"
)

func TestTokenExpiry(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s, path := openStore(t, account.Options{Now: clk.Now, TokenTTL: time.Hour})
	_, token := register(t, s, "Ada", "ada@example.com", "analytical engine")

	clk.Advance(time.Hour - time.Nanosecond)
	if _, err := s.Authenticate(ctx, token); err != nil {
		t.Fatalf("just before the TTL: got %v, want the user", err)
	}
	clk.Advance(time.Nanosecond)
	_, err := s.Authenticate(ctx, token)
	wantCode(t, "at the TTL", err, steady.Unauthorized, "sign in again")

	if n, err := s.Purge(ctx); err != nil || n != 1 {
		t.Errorf("Purge: got %d, %v, want 1 token deleted", n, err)
	}
	if n, err := s.Purge(ctx); err != nil || n != 0 {
		t.Errorf("second Purge: got %d, %v, want 0", n, err)
	}

	// A login deletes expired tokens by the way.
	register(t, s, "Bob", "bob@example.com", "bobs password")
	clk.Advance(2 * time.Hour)
	if _, _, err := s.Login(ctx, "ada@example.com", "analytical engine", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM tokens`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("after a login: got %d token rows (%v), want 1, the new one", rows, err)
	}
}

func TestAuthenticateRejectsForeignTokens(t *testing.T) {
	s, _ := openStore(t, account.Options{})
	_, token := register(t, s, "Ada", "ada@example.com", "analytical engine")
	flipped := []byte(token)
	flipped[0] ^= 1
	for name, bad := range map[string]string{
		"empty":     "",
		"short":     "abc",
		"longer":    token + "A",
		"altered":   string(flipped),
		"hash":      hash(token),
		"padded":    token + "=",
		"other 256": base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.Authenticate(context.Background(), bad)
			wantCode(t, "Authenticate", err, steady.Unauthorized, "sign in again")
			if err := s.Logout(context.Background(), bad); err != nil {
				t.Errorf("Logout: got %v, want nil", err)
			}
		})
	}
}

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func TestTokensAndPasswordsAreStoredHashed(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t, account.Options{})
	const password = "analytical engine"
	u, t1 := register(t, s, "Ada", "ada@example.com", password)
	_, t2, err := s.Login(ctx, "ada@example.com", password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{t1, t2} {
		if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 {
			t.Errorf("token %d chars: got %d bytes (%v), want 32 bytes of unpadded base64url", len(token), len(raw), err)
		}
	}

	db := rawDB(t, path)
	rows, err := db.Query(`SELECT hash, user_id FROM tokens ORDER BY created_at`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var h, userID string
		if err := rows.Scan(&h, &userID); err != nil || userID != u.ID {
			t.Fatalf("token row of user %q (%v), want %q", userID, err, u.ID)
		}
		got = append(got, h)
	}
	if len(got) != 2 || !containsAll(got, hash(t1), hash(t2)) {
		t.Errorf("got token rows %q, want the SHA-256 of the two tokens", got)
	}
	var stored string
	if err := db.QueryRow(`SELECT password FROM users`).Scan(&stored); err != nil || !strings.HasPrefix(stored, "$argon2id$v=19$") {
		t.Errorf("got password column %q (%v), want an argon2id PHC string", stored, err)
	}

	// Nothing the client holds is anywhere in the files.
	files, _ := filepath.Glob(path + "*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{t1, t2, password} {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s holds a token or password in the clear", filepath.Base(f))
			}
		}
	}
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, s := range list {
			found = found || s == w
		}
		if !found {
			return false
		}
	}
	return true
}
