package account_test

import (
	"strings"
	"testing"

	"github.com/steady-voice/steady/server/account"
)

const validPHC = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$6yoEvCUbvD5oMPkDW4HzHmsHOI+bDYTG2/r6qbWJHk0"

func TestParsePHC(t *testing.T) {
	tests := []struct {
		name, phc string
		ok        bool
	}{
		{"valid", validPHC, true},
		{"other parameters", "$argon2id$v=19$m=19456,t=2,p=4$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA", true},
		{"argon2i", strings.Replace(validPHC, "argon2id", "argon2i", 1), false},
		{"no version", strings.Replace(validPHC, "v=19$", "", 1), false},
		{"version 16", strings.Replace(validPHC, "v=19", "v=16", 1), false},
		{"leading zero", strings.Replace(validPHC, "m=64", "m=064", 1), false},
		{"parameters reordered", strings.Replace(validPHC, "m=64,t=1", "t=1,m=64", 1), false},
		{"no time", strings.Replace(validPHC, "t=1", "t=0", 1), false},
		{"too little memory", strings.Replace(validPHC, "m=64,t=1,p=1", "m=64,t=1,p=9", 1), false},
		{"huge memory", strings.Replace(validPHC, "m=64", "m=4294967295", 1), false},
		{"padded salt", strings.Replace(validPHC, "c2FsdA$", "c2FsdA==$", 1), false},
		{"short salt", strings.Replace(validPHC, "c2FsdHNhbHRzYWx0c2FsdA", "c2FsdA", 1), false},
		{"extra field", validPHC + "$x", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := account.ReformatPHC(tt.phc)
			if (err == nil) != tt.ok {
				t.Fatalf("got error %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && got != tt.phc {
				t.Errorf("got %q printed back, want %q", got, tt.phc)
			}
		})
	}
}

// FuzzPHC checks that the parser never panics, and that what it accepts
// is within bounds, prints back unchanged and verifies without panicking.
func FuzzPHC(f *testing.F) {
	f.Add(validPHC)
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA")
	f.Add("$argon2id$v=19$m=,t=1,p=1$$")
	f.Add("$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA")
	f.Add("$argon2id$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := account.ReformatPHC(s)
		if err != nil {
			return
		}
		if out != s {
			t.Fatalf("parsed %q, printed back %q", s, out)
		}
		p, err := account.ParsedPHC(s)
		if err != nil || p.Memory < 8*uint32(p.Threads) || p.Time < 1 || p.KeyLen < 16 || p.SaltLen < 8 {
			t.Fatalf("accepted %q with parameters %+v (%v)", s, p, err)
		}
		if p.Memory <= 256 && p.Time <= 2 {
			if _, err := account.VerifyPassword(s, "password"); err != nil {
				t.Fatalf("VerifyPassword(%q): %v", s, err)
			}
		}
	})
}
