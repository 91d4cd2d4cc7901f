package account

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/steady-voice/steady"
)

// Register creates an account and signs it in, returning the user and a
// new token. Conflict if an account has the email (in any case); Invalid
// for a bad name, email or password.
func (s *Store) Register(ctx context.Context, name, email, password string) (User, string, error) {
	const op = "account.Register"
	u, err := s.newUser(op, name, email, password)
	if err != nil {
		return User{}, "", err
	}
	var token string
	err = s.guard(ctx, op, func() error {
		// Hashed before taking the writer: it takes tens of milliseconds.
		hash, err := hashPassword(s.opt.Argon, password)
		if err != nil {
			return err
		}
		return s.write(ctx, func(tx *sql.Tx) error {
			if err := insertUser(ctx, tx, u, hash); err != nil {
				return err
			}
			token, err = s.issueToken(ctx, tx, u.ID, u.CreatedAt)
			return err
		})
	})
	if err != nil {
		return User{}, "", err
	}
	return s.userWith(u), token, nil
}

// newUser validates the inputs of Register and makes the user they name.
func (s *Store) newUser(op, name, email, password string) (User, error) {
	name, err := validateName(op, name)
	if err != nil {
		return User{}, err
	}
	if email, err = validateEmail(op, email); err != nil {
		return User{}, err
	}
	if err := validatePassword(op, password, email); err != nil {
		return User{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return User{}, steady.Wrap(steady.Internal, op, err)
	}
	now := fromNanos(s.opt.Now().UnixNano()) // as it reads back
	return User{ID: id.String(), Name: name, Email: email, CreatedAt: now}, nil
}

func insertUser(ctx context.Context, tx *sql.Tx, u User, hash string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO users (id, name, email, password, created_at)
		VALUES (?, ?, ?, ?, ?)`, u.ID, u.Name, u.Email, hash, u.CreatedAt.UnixNano())
	if duplicate(err) {
		return steady.Errorf(steady.Conflict, "account.Register", "an account with this email exists")
	}
	return err
}

// errWrongLogin is the one answer to a wrong email and to a wrong password,
// so that a login never tells whether an account exists.
var errWrongLogin = steady.Errorf(steady.Unauthorized, "account.Login", "wrong email or password")

// Login signs in, returning the user and a new token. Unauthorized, with
// the same error and in about the same time, for an unknown email and for a
// wrong password; RateLimited, before the password is checked, once the
// account or addr has had too many failures within the window. A success
// clears the account's failures and deletes expired tokens.
func (s *Store) Login(ctx context.Context, email, password, addr string) (User, string, error) {
	const op = "account.Login"
	email = normalizeEmail(email)
	now := s.opt.Now()
	if err := s.limits.take(op, email, addr, now); err != nil {
		return User{}, "", err
	}
	var u User
	var token string
	err := s.guard(ctx, op, func() error {
		user, hash, err := s.checkLogin(ctx, email, password)
		if err != nil {
			return err
		}
		u = user
		token, err = s.signIn(ctx, u.ID, password, hash, now)
		return err
	})
	switch {
	case err == nil:
		s.limits.succeeded(email, addr, now)
		return s.userWith(u), token, nil
	case err != errWrongLogin:
		s.limits.neither(email, addr, now)
	}
	return User{}, "", err
}

// checkLogin returns the user whose email and password these are, and
// their password hash, or errWrongLogin. An unknown email is verified
// against a dummy hash, to take as long as a known one.
func (s *Store) checkLogin(ctx context.Context, email, password string) (User, string, error) {
	u, hash, err := s.byEmail(ctx, email)
	found := err == nil
	if errors.Is(err, sql.ErrNoRows) {
		hash, err = s.dummyHash, nil
	}
	if err != nil {
		return User{}, "", err
	}
	ok, err := verifyPassword(hash, password)
	if err != nil {
		return User{}, "", steady.Errorf(steady.Internal, "account.Login",
			"the stored password hash of account %s is unreadable: %v", u.ID, err)
	}
	if !ok || !found {
		return User{}, "", errWrongLogin
	}
	return u, hash, nil
}

// signIn issues a token for a user who gave the right password, and, in
// the same transaction, replaces a hash made with other parameters than
// the store's (so raised parameters reach every active account) and
// deletes a batch of expired tokens.
func (s *Store) signIn(ctx context.Context, userID, password, hash string, now time.Time) (string, error) {
	var rehash string
	if needsRehash(hash, s.opt.Argon) {
		var err error
		if rehash, err = hashPassword(s.opt.Argon, password); err != nil {
			return "", err
		}
	}
	var token string
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := updatePassword(ctx, tx, userID, rehash); err != nil {
			return err
		}
		if _, err := purgeTokens(ctx, tx, now, purgeBatch); err != nil {
			return err
		}
		var err error
		token, err = s.issueToken(ctx, tx, userID, now)
		return err
	})
	return token, err
}

func updatePassword(ctx context.Context, tx *sql.Tx, userID, hash string) error {
	if hash == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE users SET password = ? WHERE id = ?`, hash, userID)
	return err
}

// Get returns the user with id userID; NotFound if there is none.
func (s *Store) Get(ctx context.Context, userID string) (User, error) {
	const op = "account.Get"
	var u User
	err := s.guard(ctx, op, func() error {
		row := s.rdb.QueryRowContext(ctx, `SELECT id, name, email, created_at FROM users WHERE id = ?`, userID)
		var err error
		u, err = scanUser(row)
		if errors.Is(err, sql.ErrNoRows) {
			return steady.Errorf(steady.NotFound, op, "no account has this id")
		}
		return err
	})
	return s.userWith(u), err
}

// Delete removes the user with id userID and all their tokens; NotFound
// if there is none.
func (s *Store) Delete(ctx context.Context, userID string) error {
	const op = "account.Delete"
	return s.guard(ctx, op, func() error {
		return s.write(ctx, func(tx *sql.Tx) error {
			// Explicit rather than left to ON DELETE CASCADE, which a
			// connection without foreign_keys on would skip.
			if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ?`, userID); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, userID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n > 0 {
				return err
			}
			return steady.Errorf(steady.NotFound, op, "no account has this id")
		})
	})
}

// byEmail returns the user with email and their password hash;
// sql.ErrNoRows if there is none.
func (s *Store) byEmail(ctx context.Context, email string) (User, string, error) {
	var u User
	var hash string
	var created int64
	err := s.rdb.QueryRowContext(ctx, `SELECT id, name, email, created_at, password
		FROM users WHERE email = ?`, email).Scan(&u.ID, &u.Name, &u.Email, &created, &hash)
	u.CreatedAt = fromNanos(created)
	return u, hash, err
}

func scanUser(row *sql.Row) (User, error) {
	var u User
	var created int64
	err := row.Scan(&u.ID, &u.Name, &u.Email, &created)
	u.CreatedAt = fromNanos(created)
	return u, err
}

// fromNanos is a stored time as the store returns it: in UTC.
func fromNanos(ns int64) time.Time { return time.Unix(0, ns).UTC() }
