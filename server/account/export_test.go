package account

// ReformatPHC parses s as an argon2id PHC string and prints it back, so
// tests can check the parser without exporting it.
func ReformatPHC(s string) (string, error) {
	h, err := parsePHC(s)
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

// ParsedPHC returns the parameters s declares, if it parses.
func ParsedPHC(s string) (ArgonParams, error) {
	h, err := parsePHC(s)
	return h.params, err
}

// VerifyPassword exposes verifyPassword to the fuzz test.
var VerifyPassword = verifyPassword
