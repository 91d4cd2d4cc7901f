package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ArgonParams is the cost of an argon2id hash. The defaults are OWASP's
// minimum for argon2id: 2 iterations over 19 MiB on one thread, a 16-byte
// salt and a 32-byte key.
type ArgonParams struct {
	Time    uint32 // iterations
	Memory  uint32 // KiB
	Threads uint8
	KeyLen  uint32 // bytes of hash
	SaltLen uint32 // bytes of salt
}

func (p ArgonParams) withDefaults() ArgonParams {
	def := func(v *uint32, d uint32) {
		if *v == 0 {
			*v = d
		}
	}
	def(&p.Time, 2)
	def(&p.Memory, 19456)
	def(&p.KeyLen, 32)
	def(&p.SaltLen, 16)
	if p.Threads == 0 {
		p.Threads = 1
	}
	return p
}

// Bounds of what a hash may ask for. They keep a damaged or hostile hash
// from making a login allocate gigabytes or loop for minutes, and a salt
// or key too short to be worth having from being accepted.
const (
	maxTime             = 64
	maxMemory           = 4 << 20 // KiB: 4 GiB
	minSalt, maxSalt    = 8, 64
	minKey, maxKey      = 16, 128
	maxPHCLen           = 512
	argonVersion        = argon2.Version // 0x13, written v=19
	phcPrefix           = "$argon2id$"
	minMemoryPerThreads = 8 // argon2 needs 8 KiB per lane
)

// validate checks p against the bounds a stored hash must meet, so that
// every hash this store writes is one it can read back.
func (p ArgonParams) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time %d is outside 1..%d", p.Time, maxTime)
	case p.Threads < 1:
		return errors.New("threads must be at least 1")
	case p.Memory < minMemoryPerThreads*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("memory %d KiB is outside %d..%d for %d threads",
			p.Memory, minMemoryPerThreads*uint32(p.Threads), maxMemory, p.Threads)
	case p.SaltLen < minSalt || p.SaltLen > maxSalt:
		return fmt.Errorf("salt length %d is outside %d..%d", p.SaltLen, minSalt, maxSalt)
	case p.KeyLen < minKey || p.KeyLen > maxKey:
		return fmt.Errorf("key length %d is outside %d..%d", p.KeyLen, minKey, maxKey)
	}
	return nil
}

// phc is a parsed argon2id hash: its parameters, salt and key.
type phc struct {
	params    ArgonParams
	salt, key []byte
}

var b64 = base64.RawStdEncoding.Strict()

// String is the PHC string format of the hash:
// $argon2id$v=19$m=<KiB>,t=<iterations>,p=<threads>$<salt>$<key>, with
// salt and key in unpadded standard base64.
func (h phc) String() string {
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", phcPrefix, argonVersion,
		h.params.Memory, h.params.Time, h.params.Threads,
		b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// hashPassword hashes password with p and a fresh random salt.
func hashPassword(p ArgonParams, password string) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return phc{params: p, salt: salt, key: key}.String(), nil
}

// verifyPassword reports whether password matches the PHC string hash,
// recomputing the key with the hash's own parameters and comparing in
// constant time. An unreadable hash is an error, not a mismatch.
func verifyPassword(hash, password string) (bool, error) {
	h, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	p := h.params
	key := argon2.IDKey([]byte(password), h.salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// needsRehash reports whether hash was made with parameters other than p,
// so a successful login should replace it.
func needsRehash(hash string, p ArgonParams) bool {
	h, err := parsePHC(hash)
	return err != nil || h.params != p
}

// parsePHC parses what phc.String writes, and nothing else: one canonical
// spelling per hash, so that a parsed hash prints back the same.
func parsePHC(s string) (phc, error) {
	if len(s) > maxPHCLen || !strings.HasPrefix(s, phcPrefix) {
		return phc{}, errors.New("not an argon2id PHC string")
	}
	parts := strings.Split(s[len(phcPrefix):], "$")
	if len(parts) != 4 {
		return phc{}, errors.New("want $argon2id$v=…$m=…,t=…,p=…$salt$hash")
	}
	if v, ok := field(parts[0], "v"); !ok || v != argonVersion {
		return phc{}, fmt.Errorf("argon2 version %q is not v=%d", parts[0], argonVersion)
	}
	var h phc
	var err error
	if h.params, err = parseParams(parts[1]); err != nil {
		return phc{}, err
	}
	if h.salt, err = decodeB64(parts[2]); err != nil {
		return phc{}, errors.New("bad salt encoding")
	}
	if h.key, err = decodeB64(parts[3]); err != nil {
		return phc{}, errors.New("bad hash encoding")
	}
	h.params.SaltLen, h.params.KeyLen = uint32(len(h.salt)), uint32(len(h.key))
	return h, h.params.validate()
}

// decodeB64 decodes unpadded standard base64, refusing the line breaks
// that encoding/base64 skips even when strict, so that one hash has one
// spelling.
func decodeB64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64")
	}
	return b64.DecodeString(s)
}

// parseParams parses "m=<KiB>,t=<iterations>,p=<threads>".
func parseParams(s string) (ArgonParams, error) {
	f := strings.Split(s, ",")
	if len(f) != 3 {
		return ArgonParams{}, errors.New("want m=…,t=…,p=…")
	}
	m, okM := field(f[0], "m")
	t, okT := field(f[1], "t")
	p, okP := field(f[2], "p")
	if !okM || !okT || !okP || p > 255 {
		return ArgonParams{}, errors.New("bad m=…,t=…,p=… parameters")
	}
	return ArgonParams{Memory: m, Time: t, Threads: uint8(p)}, nil
}

// field parses "<name>=<decimal>": digits only, no sign, no leading zero,
// within uint32.
func field(s, name string) (uint32, bool) {
	v, ok := strings.CutPrefix(s, name+"=")
	if !ok || v == "" || len(v) > 10 || v[0] == '0' && len(v) > 1 {
		return 0, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(v, 10, 32)
	return uint32(n), err == nil
}
