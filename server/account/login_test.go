package account_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/server/account"
	"golang.org/x/crypto/argon2"
)

func TestWrongPasswordAndUnknownEmailGiveTheSameError(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t, account.Options{})
	register(t, s, "Ada", "ada@example.com", "analytical engine")
	_, _, wrongPassword := s.Login(ctx, "ada@example.com", "difference engine", "192.0.2.1")
	_, _, unknownEmail := s.Login(ctx, "nobody@example.com", "analytical engine", "192.0.2.1")
	wantCode(t, "wrong password", wrongPassword, steady.Unauthorized, "wrong email or password")
	wantCode(t, "unknown email", unknownEmail, steady.Unauthorized, "wrong email or password")
	if wrongPassword.Error() != unknownEmail.Error() {
		t.Errorf("got %q for a wrong password and %q for an unknown email, want the same", wrongPassword, unknownEmail)
	}
}

func TestLoginLimitPerAccount(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s, _ := openStore(t, account.Options{Now: clk.Now})
	register(t, s, "Ada", "ada@example.com", "analytical engine")
	login := func(password string, i int) error {
		// A new address each time, so only the account's limit applies.
		_, _, err := s.Login(ctx, "Ada@example.com", password, fmt.Sprintf("192.0.2.%d", i))
		return err
	}
	for i := range 5 {
		wantCode(t, fmt.Sprintf("failure %d", i+1), login("wrong password", i), steady.Unauthorized, "")
	}
	wantCode(t, "right password after 5 failures", login("analytical engine", 10),
		steady.RateLimited, "too many sign-in attempts; try again in 15 minutes")
	clk.Advance(14 * time.Minute)
	wantCode(t, "a minute before the window passes", login("analytical engine", 11),
		steady.RateLimited, "try again in 1 minute")
	clk.Advance(time.Minute)
	if err := login("analytical engine", 12); err != nil {
		t.Fatalf("once the window passed: got %v, want a login", err)
	}

	// A success clears the account's failures: 4 + 4 never reach 5.
	for round := range 2 {
		for i := range 4 {
			wantCode(t, "failure", login("wrong password", 20+i), steady.Unauthorized, "")
		}
		if err := login("analytical engine", 30); err != nil {
			t.Fatalf("round %d: got %v after 4 failures, want a login", round, err)
		}
	}
}

func TestLoginLimitPerAddress(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s, _ := openStore(t, account.Options{Now: clk.Now})
	register(t, s, "Ada", "ada@example.com", "analytical engine")
	const addr = "198.51.100.7"
	for i := range 19 { // each against its own account, so only the address's limit applies
		_, _, err := s.Login(ctx, fmt.Sprintf("guess%d@example.com", i), "wrong password", addr)
		wantCode(t, fmt.Sprintf("failure %d", i+1), err, steady.Unauthorized, "")
	}
	// A success from the address does not clear its failures.
	if _, _, err := s.Login(ctx, "ada@example.com", "analytical engine", addr); err != nil {
		t.Fatalf("after 19 failures: %v, want a login", err)
	}
	_, _, err := s.Login(ctx, "guess19@example.com", "wrong password", addr)
	wantCode(t, "failure 20", err, steady.Unauthorized, "")
	_, _, err = s.Login(ctx, "ada@example.com", "analytical engine", addr)
	wantCode(t, "right password after 20 failures", err, steady.RateLimited, "try again in 15 minutes")
	if _, _, err := s.Login(ctx, "ada@example.com", "analytical engine", "198.51.100.8"); err != nil {
		t.Errorf("from another address: got %v, want a login", err)
	}
	clk.Advance(15 * time.Minute)
	if _, _, err := s.Login(ctx, "ada@example.com", "analytical engine", addr); err != nil {
		t.Errorf("once the window passed: got %v, want a login", err)
	}
}

func TestConcurrentFailuresStayWithinTheLimit(t *testing.T) {
	s, _ := openStore(t, account.Options{AccountAttempts: 3})
	register(t, s, "Ada", "ada@example.com", "analytical engine")
	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, _, errs[i] = s.Login(context.Background(), "ada@example.com", "wrong password", fmt.Sprint(i))
		})
	}
	wg.Wait()
	count := map[steady.Code]int{}
	for _, err := range errs {
		count[steady.ErrorCode(err)]++
	}
	if count[steady.Unauthorized] != 3 || count[steady.RateLimited] != n-3 {
		t.Errorf("got %v, want 3 unauthorized and %d rate limited", count, n-3)
	}
}

// argon2idPHC formats a hash the way another argon2id library would.
func argon2idPHC(password string, salt []byte, time, memory uint32, threads uint8, keyLen uint32) string {
	key := argon2.IDKey([]byte(password), salt, time, memory, threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", memory, time, threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

func TestHashWithOtherParametersVerifiesAndIsUpgraded(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t, account.Options{})
	u, _ := register(t, s, "Ada", "ada@example.com", "analytical engine")
	old := argon2idPHC("analytical engine", []byte("8-bytes!"), 2, 32, 2, 16)
	db := rawDB(t, path)
	if _, err := db.Exec(`UPDATE users SET password = ? WHERE id = ?`, old, u.ID); err != nil {
		t.Fatal(err)
	}

	_, _, err := s.Login(ctx, "ada@example.com", "difference engine", "192.0.2.1")
	wantCode(t, "wrong password against the old hash", err, steady.Unauthorized, "")
	if _, _, err := s.Login(ctx, "ada@example.com", "analytical engine", "192.0.2.1"); err != nil {
		t.Fatalf("right password against the old hash: %v", err)
	}
	var stored string
	if err := db.QueryRow(`SELECT password FROM users WHERE id = ?`, u.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	want := "$argon2id$v=19$m=64,t=1,p=1$"
	if !strings.HasPrefix(stored, want) {
		t.Errorf("after the login, got hash %q, want it rehashed with %s", stored, want)
	}
	if _, _, err := s.Login(ctx, "ada@example.com", "analytical engine", "192.0.2.1"); err != nil {
		t.Errorf("right password against the new hash: %v", err)
	}
}

func TestUnreadableStoredHash(t *testing.T) {
	s, path := openStore(t, account.Options{})
	u, _ := register(t, s, "Ada", "ada@example.com", "analytical engine")
	if _, err := rawDB(t, path).Exec(`UPDATE users SET password = '$2a$10$bcrypt' WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Login(context.Background(), "ada@example.com", "analytical engine", "192.0.2.1")
	wantCode(t, "Login against a bcrypt hash", err, steady.Internal, "unreadable")
}

func TestSecretsStayOutOfErrorsAndPrints(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s, _ := openStore(t, account.Options{Now: clk.Now, AccountAttempts: 1})
	const password = "secret-password-42"
	_, token := register(t, s, "Ada", "ada@example.com", password)

	var errs []error
	collect := func(_ any, _ string, err error) { errs = append(errs, err) }
	collect(s.Register(ctx, "Ada", "ada@example.com", password))
	collect(s.Register(ctx, "Ada", "not an email", password))
	collect(s.Register(ctx, "", "b@example.com", password))
	collect(s.Register(ctx, "Ada", "c@example.com", password[:5]))
	collect(s.Login(ctx, "ada@example.com", password+"x", "192.0.2.1"))
	collect(s.Login(ctx, "ada@example.com", password, "192.0.2.1")) // rate limited
	altered := []byte(token)
	altered[0] ^= 1 // another base64url character
	_, err := s.Authenticate(ctx, string(altered))
	errs = append(errs, err)
	clk.Advance(31 * 24 * time.Hour)
	_, err = s.Authenticate(ctx, token)
	errs = append(errs, err)

	texts := []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s)}
	for _, err := range errs {
		if err == nil {
			t.Fatal("an operation that should fail succeeded")
		}
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", err))
	}
	for _, text := range texts {
		if strings.Contains(text, password[:5]) || strings.Contains(text, token[:8]) {
			t.Errorf("got %q, want no password or token in it", text)
		}
	}
}
