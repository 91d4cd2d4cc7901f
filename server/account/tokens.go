package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/steady-voice/steady"
)

const (
	tokenBytes = 32 // 256 bits: beyond guessing, so a plain hash stores it safely
	// purgeBatch bounds the expired tokens a login deletes, so that a
	// login after a long quiet spell stays quick.
	purgeBatch = 100
)

// tokenLen is the length of a token as the client holds it.
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// issueToken makes a token for userID valid from now for TokenTTL, stores
// its hash in tx and returns it.
func (s *Store) issueToken(ctx context.Context, tx *sql.Tx, userID string, now time.Time) (string, error) {
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	_, err := tx.ExecContext(ctx, `INSERT INTO tokens (hash, user_id, created_at, expires_at)
		VALUES (?, ?, ?, ?)`, hashToken(token), userID, now.UnixNano(), now.Add(s.opt.TokenTTL).UnixNano())
	return token, err
}

// hashToken is how a token is stored and looked up.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// errSignInAgain answers every token that signs nobody in; it never says
// which of unknown, revoked or expired the token is.
var errSignInAgain = steady.Errorf(steady.Unauthorized, "account.Authenticate", "sign in again")

// Authenticate returns the user the token was issued to. Unauthorized if
// the token is unknown, revoked or expired, or its account was deleted.
func (s *Store) Authenticate(ctx context.Context, token string) (User, error) {
	const op = "account.Authenticate"
	if len(token) != tokenLen { // not one of ours: spare the database
		return User{}, errSignInAgain
	}
	var u User
	err := s.guard(ctx, op, func() error {
		row := s.rdb.QueryRowContext(ctx, `SELECT u.id, u.name, u.email, u.created_at
			FROM tokens t JOIN users u ON u.id = t.user_id
			WHERE t.hash = ? AND t.expires_at > ?`, hashToken(token), s.opt.Now().UnixNano())
		var err error
		u, err = scanUser(row)
		if errors.Is(err, sql.ErrNoRows) {
			return errSignInAgain
		}
		return err
	})
	if err != nil {
		return User{}, err
	}
	return s.userWith(u), nil
}

// Logout revokes the token by deleting it; an unknown token is not an
// error, so that signing out twice is harmless.
func (s *Store) Logout(ctx context.Context, token string) error {
	const op = "account.Logout"
	if len(token) != tokenLen {
		return nil
	}
	return s.guard(ctx, op, func() error {
		return s.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE hash = ?`, hashToken(token))
			return err
		})
	})
}

// Purge deletes every expired token and returns how many it deleted.
// Logins also delete a few each; a caller may run Purge now and then to
// keep the file small when logins are rare.
func (s *Store) Purge(ctx context.Context) (int, error) {
	const op = "account.Purge"
	var n int64
	err := s.guard(ctx, op, func() error {
		return s.write(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = purgeTokens(ctx, tx, s.opt.Now(), -1)
			return err
		})
	})
	return int(n), err
}

// purgeTokens deletes up to limit tokens expired at now; limit < 0
// deletes them all.
func purgeTokens(ctx context.Context, tx *sql.Tx, now time.Time, limit int) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE rowid IN
		(SELECT rowid FROM tokens WHERE expires_at <= ? LIMIT ?)`, now.UnixNano(), limit)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
