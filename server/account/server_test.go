package account_test

import (
	"github.com/steady-voice/steady/server"
	"github.com/steady-voice/steady/server/account"
)

// Here rather than in package account, which server imports.
var _ server.Accounts = (*account.Store)(nil)
