// Package account keeps Steady's accounts: users with argon2id-hashed
// passwords, and the bearer tokens they sign in with (random, 256-bit,
// stored hashed, expiring), in an embedded SQLite file.
package account

import "time"

// User is an account. A user's id is also their id in the memory layer.
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Operator  bool      `json:"operator,omitempty"` // may use the system-wide observability routes
	CreatedAt time.Time `json:"created_at"`
}
