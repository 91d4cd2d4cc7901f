package account_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/server/account"
)

func TestRegisterLoginAuthenticateLogout(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s, _ := openStore(t, account.Options{Now: clk.Now})

	u, regToken := register(t, s, "  Ada Lovelace ", " Ada@Example.COM ", "analytical engine")
	if u.Name != "Ada Lovelace" || u.Email != "ada@example.com" || !u.CreatedAt.Equal(clk.Now()) || u.Operator {
		t.Errorf("Register: got %+v, want name and email trimmed, email lower-cased, created now, not an operator", u)
	}
	if id, err := uuid.Parse(u.ID); err != nil || id.Version() != 7 || !memory.ValidID(u.ID) {
		t.Errorf("got id %q, want a UUIDv7 that is a valid memory user id", u.ID)
	}
	lu, loginToken, err := s.Login(ctx, "ADA@example.com", "analytical engine", "192.0.2.1")
	if err != nil || lu != u || loginToken == regToken {
		t.Fatalf("Login: got %+v, %v, want %+v and a second token", lu, err, u)
	}
	for _, token := range []string{regToken, loginToken} {
		if got, err := s.Authenticate(ctx, token); err != nil || got != u {
			t.Errorf("Authenticate: got %+v, %v, want %+v", got, err, u)
		}
	}
	if got, err := s.Get(ctx, u.ID); err != nil || got != u {
		t.Errorf("Get: got %+v, %v, want %+v", got, err, u)
	}

	if err := s.Logout(ctx, regToken); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	_, err = s.Authenticate(ctx, regToken)
	wantCode(t, "Authenticate after Logout", err, steady.Unauthorized, "sign in again")
	if _, err := s.Authenticate(ctx, loginToken); err != nil {
		t.Errorf("the other token after Logout: %v, want it still valid", err)
	}
	if err := s.Logout(ctx, regToken); err != nil {
		t.Errorf("second Logout: got %v, want nil", err)
	}
}

func TestRegisterDuplicateEmail(t *testing.T) {
	s, _ := openStore(t, account.Options{})
	register(t, s, "Ada", "ada@example.com", "analytical engine")
	_, _, err := s.Register(context.Background(), "Other Ada", " ADA@example.com", "difference engine")
	wantCode(t, "Register with a taken email", err, steady.Conflict, "an account with this email exists")
}

func TestRegisterValidation(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com" // 254 bytes
	tests := []struct {
		name, user, email, password string
		wantMsg                     string // "" for a valid registration
	}{
		{"empty name", "", "a@example.com", "password1", "a name is required"},
		{"blank name", " \t ", "a@example.com", "password1", "a name is required"},
		{"long name", strings.Repeat("é", 101), "a@example.com", "password1", "longer than 100"},
		{"control in name", "Ada\x00", "a@example.com", "password1", "control characters"},
		{"newline in name", "Ada\nLovelace", "a@example.com", "password1", "control characters"},
		{"invalid UTF-8 name", "Ada\xff", "a@example.com", "password1", "UTF-8"},
		{"empty email", "Ada", "", "password1", "an email is required"},
		{"no at sign", "Ada", "example.com", "password1", "does not look like an address"},
		{"display name", "Ada", "Ada <a@example.com>", "password1", "does not look like an address"},
		{"angle brackets", "Ada", "<a@example.com>", "password1", "does not look like an address"},
		{"two addresses", "Ada", "a@example.com, b@example.com", "password1", "does not look like an address"},
		{"long email", "Ada", "x" + long, "password1", "longer than 254"},
		{"short password", "Ada", "a@example.com", "1234567", "8 to 256 bytes"},
		{"long password", "Ada", "a@example.com", strings.Repeat("p", 257), "8 to 256 bytes"},
		{"password is the email", "Ada", "ada@example.com", "ADA@example.com", "must not be the email"},
		{"100-rune name", strings.Repeat("é", 100), "a1@example.com", "password1", ""},
		{"254-byte email", "Ada", long, "password1", ""},
		{"8-byte password", "Ada", "a2@example.com", "12345678", ""},
		{"256-byte password", "Ada", "a3@example.com", strings.Repeat("p", 256), ""},
	}
	s, _ := openStore(t, account.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.Register(context.Background(), tt.user, tt.email, tt.password)
			if tt.wantMsg == "" {
				if err != nil {
					t.Errorf("got %v, want a registration", err)
				}
				return
			}
			wantCode(t, "Register", err, steady.Invalid, tt.wantMsg)
		})
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t, account.Options{})
	ada, adaToken := register(t, s, "Ada", "ada@example.com", "analytical engine")
	_, bobToken := register(t, s, "Bob", "bob@example.com", "bobs password")
	if _, _, err := s.Login(ctx, "ada@example.com", "analytical engine", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}

	if err := s.Delete(ctx, ada.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Authenticate(ctx, adaToken)
	wantCode(t, "Authenticate a deleted user's token", err, steady.Unauthorized, "")
	_, err = s.Get(ctx, ada.ID)
	wantCode(t, "Get a deleted user", err, steady.NotFound, "")
	_, _, err = s.Login(ctx, "ada@example.com", "analytical engine", "192.0.2.1")
	wantCode(t, "Login as a deleted user", err, steady.Unauthorized, "wrong email or password")
	wantCode(t, "Delete again", s.Delete(ctx, ada.ID), steady.NotFound, "")

	var tokens int
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM tokens WHERE user_id = ?`, ada.ID).Scan(&tokens); err != nil || tokens != 0 {
		t.Errorf("got %d tokens of the deleted user (%v), want 0", tokens, err)
	}
	if _, err := s.Authenticate(ctx, bobToken); err != nil {
		t.Errorf("another user's token after Delete: %v", err)
	}
	register(t, s, "Ada again", "ada@example.com", "a new password")
}

func TestOperator(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t, account.Options{Operators: []string{" Admin@Example.com "}})
	admin, adminToken := register(t, s, "Admin", "ADMIN@example.com", "admin password")
	user, userToken := register(t, s, "User", "user@example.com", "user password")
	if !admin.Operator || user.Operator {
		t.Errorf("Register: got operator %v for the admin and %v for a user, want true and false", admin.Operator, user.Operator)
	}
	for token, want := range map[string]bool{adminToken: true, userToken: false} {
		if u, err := s.Authenticate(ctx, token); err != nil || u.Operator != want {
			t.Errorf("Authenticate %s: got operator %v (%v), want %v", u.Email, u.Operator, err, want)
		}
	}
	if u, _, err := s.Login(ctx, "admin@example.com", "admin password", "192.0.2.1"); err != nil || !u.Operator {
		t.Errorf("Login: got operator %v (%v), want true", u.Operator, err)
	}
	if u, err := s.Get(ctx, admin.ID); err != nil || !u.Operator {
		t.Errorf("Get: got operator %v (%v), want true", u.Operator, err)
	}
}

func TestConcurrentRegistrationsOfOneEmail(t *testing.T) {
	s, _ := openStore(t, account.Options{})
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			email := "Ada@example.com"
			if i%2 == 0 {
				email = "ada@EXAMPLE.com"
			}
			_, _, errs[i] = s.Register(context.Background(), "Ada", email, "analytical engine")
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !steady.Is(err, steady.Conflict):
			t.Errorf("got %v, want success or Conflict", err)
		}
	}
	if ok != 1 {
		t.Errorf("got %d successful registrations, want 1", ok)
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "accounts.db")
	s, err := account.Open(ctx, path, account.Options{Argon: fastArgon})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := register(t, s, "Ada", "ada@example.com", "analytical engine")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("got file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}

	s, err = account.Open(ctx, path, account.Options{Argon: fastArgon})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got, _, err := s.Login(ctx, "ada@example.com", "analytical engine", "192.0.2.1"); err != nil || got != u {
		t.Errorf("Login after reopening: got %+v, %v, want %+v", got, err, u)
	}

	_, err = account.Open(ctx, filepath.Join(dir, "b.db"), account.Options{Argon: account.ArgonParams{Time: 1, Memory: 4}})
	wantCode(t, "Open with 4 KiB of memory", err, steady.Invalid, "memory")
	_, err = account.Open(ctx, filepath.Join(dir, "missing", "c.db"), account.Options{Argon: fastArgon})
	wantCode(t, "Open in a missing directory", err, steady.Unavailable, "")
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t, account.Options{})
	u, token := register(t, s, "Ada", "ada@example.com", "analytical engine")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Register(ctx, "Bob", "bob@example.com", "bobs password")
	wantCode(t, "Register after Close", err, steady.Unavailable, "closed")
	_, _, err = s.Login(ctx, "ada@example.com", "analytical engine", "192.0.2.1")
	wantCode(t, "Login after Close", err, steady.Unavailable, "closed")
	_, err = s.Authenticate(ctx, token)
	wantCode(t, "Authenticate after Close", err, steady.Unavailable, "closed")
	wantCode(t, "Delete after Close", s.Delete(ctx, u.ID), steady.Unavailable, "closed")
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
