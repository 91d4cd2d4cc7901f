package account

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/steady-voice/steady"
)

// Limits of what Register accepts. 254 bytes is the longest address SMTP
// can deliver to (RFC 5321's 256-byte path less its angle brackets). A
// password of 8 bytes is NIST SP 800-63B's minimum; 256 bytes leaves room
// for any passphrase or manager-generated secret.
const (
	MaxNameRunes     = 100
	MaxEmailBytes    = 254
	MinPasswordBytes = 8
	MaxPasswordBytes = 256
)

// normalizeEmail is how an email is stored and looked up: two spellings
// that differ in case or surrounding space name one account.
func normalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// validateName returns the trimmed name, or an Invalid error.
func validateName(op, name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case !utf8.ValidString(name):
		return "", steady.Errorf(steady.Invalid, op, "the name is not valid UTF-8")
	case name == "":
		return "", steady.Errorf(steady.Invalid, op, "a name is required")
	case utf8.RuneCountInString(name) > MaxNameRunes:
		return "", steady.Errorf(steady.Invalid, op, "the name is longer than %d characters", MaxNameRunes)
	case strings.ContainsFunc(name, unicode.IsControl):
		return "", steady.Errorf(steady.Invalid, op, "the name contains control characters")
	}
	return name, nil
}

// validateEmail returns the normalized email, or an Invalid error. The
// address must be bare: "Bob <bob@example.com>" names a person too, and
// would be stored as something other than what was typed.
func validateEmail(op, email string) (string, error) {
	email = normalizeEmail(email)
	if email == "" {
		return "", steady.Errorf(steady.Invalid, op, "an email is required")
	}
	if len(email) > MaxEmailBytes {
		return "", steady.Errorf(steady.Invalid, op, "the email is longer than %d bytes", MaxEmailBytes)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return "", steady.Errorf(steady.Invalid, op, "the email does not look like an address (name@example.com)")
	}
	return email, nil
}

// validatePassword checks a new password. Its errors never quote it.
// A password spelling the email, in any case, is the first guess an
// attacker who knows the email makes.
func validatePassword(op, password, email string) error {
	if n := len(password); n < MinPasswordBytes || n > MaxPasswordBytes {
		return steady.Errorf(steady.Invalid, op, "the password must be %d to %d bytes long",
			MinPasswordBytes, MaxPasswordBytes)
	}
	if strings.EqualFold(strings.TrimSpace(password), email) {
		return steady.Errorf(steady.Invalid, op, "the password must not be the email")
	}
	return nil
}
