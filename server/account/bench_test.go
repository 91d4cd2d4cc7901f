package account_test

import (
	"context"
	"testing"

	"github.com/steady-voice/steady/server/account"
)

// BenchmarkLogin measures a login at the default argon2id cost (OWASP's
// minimum: 2 passes over 19 MiB), which dominates it. A wrong password and
// an unknown email should cost about the same; a success also commits a
// token.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	s, _ := openStore(b, account.Options{
		Argon:           account.ArgonParams{Time: 2, Memory: 19456, Threads: 1},
		AccountAttempts: 1 << 30, AddrAttempts: 1 << 30, // measure hashing, not refusals
	})
	register(b, s, "Ada", "ada@example.com", "analytical engine")
	for _, bc := range []struct{ name, email, password string }{
		{"right password", "ada@example.com", "analytical engine"},
		{"wrong password", "ada@example.com", "difference engine"},
		{"unknown email", "nobody@example.com", "analytical engine"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				s.Login(ctx, bc.email, bc.password, "192.0.2.1")
			}
		})
	}
}

// BenchmarkAuthenticate measures what every signed-in request pays.
func BenchmarkAuthenticate(b *testing.B) {
	s, _ := openStore(b, account.Options{})
	_, token := register(b, s, "Ada", "ada@example.com", "analytical engine")
	for b.Loop() {
		if _, err := s.Authenticate(context.Background(), token); err != nil {
			b.Fatal(err)
		}
	}
}
